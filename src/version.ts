// The package version written into every record's provenance (a test keeps it equal to package.json).
export const VERSION = '0.1.0';
