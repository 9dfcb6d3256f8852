// A small builder for ONNX graphs on top of onnx-proto (opset 17, plus com.microsoft contrib ops when
// used): named initializers (float32/float16/int8/uint8/int32/int64), nodes with attributes, subgraphs
// (for If), typed graph inputs/outputs, serialisation with optional external data. Used only by the
// tiny-model scripts.

import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** ONNX element types used by the tiny models (TensorProto.DataType). */
export const ELEM = { float: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float16: 10, double: 11 } as const;
export type ElemName = keyof typeof ELEM;

/** Tensor data by element type; float16 is given as its bits in a Uint16Array. */
export type TensorData = Float32Array | Float64Array | BigInt64Array | Uint16Array | Uint8Array | Int8Array | Int32Array;
type GraphProto = InstanceType<typeof onnx.GraphProto>;
type AttrValue = number | number[] | string | { float: number } | { int: number } | { ints: number[] } | { tensor: { dims: number[]; data: TensorData } } | { graph: GraphProto };

/** Serialisation options: initializers of at least `threshold` bytes go to `file` beside the model (ONNX external data). */
export interface ExternalDataOptions {
  file: string;
  threshold: number;
}

/** Builds one graph; `op` returns the output name(s) of the node it adds. */
export class GraphBuilder {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private readonly inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly outputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly counter: { n: number };
  /** Operator domains used besides the default one. */
  private readonly domains: Set<string>;

  constructor(parent?: GraphBuilder) {
    this.counter = parent?.counter ?? { n: 0 };
    this.domains = parent?.domains ?? new Set();
  }

  /** A fresh intermediate value name. */
  fresh(hint: string): string {
    this.counter.n += 1;
    return `${hint}_${this.counter.n}`;
  }

  /**
   * A subgraph (an If branch) built by `body`, which may read any value of the enclosing graph and
   * returns the values that become the branch's outputs, in order.
   */
  subgraph(name: string, body: (g: GraphBuilder) => string[]): GraphProto {
    const sub = new GraphBuilder(this);
    const outs = body(sub);
    return onnx.GraphProto.create({
      name,
      node: sub.nodes,
      initializer: sub.initializers,
      output: outs.map((o) => onnx.ValueInfoProto.create({ name: o })),
    });
  }

  /** Adds a constant tensor and returns its name. */
  init(name: string, dims: number[], data: TensorData): string {
    this.initializers.push(tensorProto(name, dims, data));
    return name;
  }

  /** Adds an int64 constant (1-D) and returns its name. */
  ints(values: number[], hint = 'c'): string {
    return this.init(this.fresh(hint), [values.length], BigInt64Array.from(values.map((v) => BigInt(v))));
  }

  /** Adds a float scalar constant (0-D) and returns its name. */
  scalar(value: number, hint = 's'): string {
    return this.init(this.fresh(hint), [], Float32Array.of(value));
  }

  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs = 1): string {
    return this.opN(opType, inputs, attrs, outputs)[0];
  }

  /** Adds a node; `opType` may name a domain, as in "com.microsoft:MatMulNBits". */
  opN(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs = 1): string[] {
    const colon = opType.lastIndexOf(':');
    const domain = colon < 0 ? '' : opType.slice(0, colon);
    const type = colon < 0 ? opType : opType.slice(colon + 1);
    if (domain !== '') this.domains.add(domain);
    const outs = Array.from({ length: outputs }, () => this.fresh(type.toLowerCase()));
    this.nodes.push(
      onnx.NodeProto.create({
        opType: type,
        ...(domain === '' ? {} : { domain }),
        input: inputs,
        output: outs,
        name: this.fresh(`n_${type}`),
        attribute: Object.entries(attrs).map(([name, v]) => attrProto(name, v)),
      }),
    );
    return outs;
  }

  /** Renames a value to a graph output name through Identity. */
  output(name: string, from: string, elem: ElemName, shape: (number | string)[]): void {
    this.nodes.push(onnx.NodeProto.create({ opType: 'Identity', input: [from], output: [name], name: this.fresh('n_out') }));
    this.outputs.push(valueInfo(name, elem, shape));
  }

  input(name: string, elem: ElemName, shape: (number | string)[]): string {
    this.inputs.push(valueInfo(name, elem, shape));
    return name;
  }

  /** Serialised ModelProto (IR 8, opset 17). */
  toBytes(graphName: string, producerName = 'mcts-gen build-tiny-models'): Uint8Array {
    return this.serialise(graphName, producerName, undefined).model;
  }

  /**
   * Serialised ModelProto; with `external`, initializers of at least `threshold` bytes are stored in
   * `external.file` (returned as `data`) and referenced by location, offset and length.
   */
  serialise(graphName: string, producerName: string, external: ExternalDataOptions | undefined): { model: Uint8Array; data: Uint8Array | null } {
    const chunks: Uint8Array[] = [];
    let offset = 0;
    const initializers = external === undefined ? this.initializers : this.initializers.map((t) => {
      const raw = t.rawData as Uint8Array;
      if (raw.byteLength < external.threshold) return t;
      const pad = (64 - (offset % 64)) % 64;
      if (pad > 0) chunks.push(new Uint8Array(pad));
      offset += pad;
      chunks.push(raw);
      const entry = onnx.TensorProto.create({
        name: t.name,
        dims: t.dims,
        dataType: t.dataType,
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: 'location', value: external.file },
          { key: 'offset', value: String(offset) },
          { key: 'length', value: String(raw.byteLength) },
        ],
      });
      offset += raw.byteLength;
      return entry;
    });
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName,
      opsetImport: [{ domain: '', version: 17 }, ...[...this.domains].sort().map((domain) => ({ domain, version: 1 }))],
      graph: onnx.GraphProto.create({
        name: graphName,
        node: this.nodes,
        initializer: initializers,
        input: this.inputs,
        output: this.outputs,
      }),
    });
    let data: Uint8Array | null = null;
    if (external !== undefined) {
      data = new Uint8Array(offset);
      let at = 0;
      for (const c of chunks) {
        data.set(c, at);
        at += c.byteLength;
      }
    }
    return { model: onnx.ModelProto.encode(model).finish(), data };
  }
}

function elemOf(data: TensorData): number {
  if (data instanceof Float32Array) return ELEM.float;
  if (data instanceof Float64Array) return ELEM.double;
  if (data instanceof BigInt64Array) return ELEM.int64;
  if (data instanceof Uint16Array) return ELEM.float16;
  if (data instanceof Int8Array) return ELEM.int8;
  if (data instanceof Int32Array) return ELEM.int32;
  return ELEM.uint8;
}

function tensorProto(name: string, dims: number[], data: TensorData) {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const dataType = elemOf(data);
  return onnx.TensorProto.create({ name, dims, dataType, rawData: Uint8Array.from(bytes) });
}

function valueInfo(name: string, elem: ElemName, shape: (number | string)[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: ELEM[elem],
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}

function attrProto(name: string, v: AttrValue) {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return Number.isInteger(v) ? onnx.AttributeProto.create({ name, type: T.INT, i: v }) : onnx.AttributeProto.create({ name, type: T.FLOAT, f: v });
  if (typeof v === 'string') return onnx.AttributeProto.create({ name, type: T.STRING, s: new TextEncoder().encode(v) });
  if (Array.isArray(v)) return onnx.AttributeProto.create({ name, type: T.INTS, ints: v });
  if ('float' in v) return onnx.AttributeProto.create({ name, type: T.FLOAT, f: v.float });
  if ('int' in v) return onnx.AttributeProto.create({ name, type: T.INT, i: v.int });
  if ('ints' in v) return onnx.AttributeProto.create({ name, type: T.INTS, ints: v.ints });
  if ('graph' in v) return onnx.AttributeProto.create({ name, type: T.GRAPH, g: v.graph });
  return onnx.AttributeProto.create({ name, type: T.TENSOR, t: tensorProto(name, v.tensor.dims, v.tensor.data) });
}
