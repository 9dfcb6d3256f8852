// A small builder for ONNX graphs on top of onnx-proto (opset 17): named initializers, nodes with
// attributes, typed graph inputs/outputs, serialisation. Used only by the tiny-model scripts.

import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** ONNX element types used by the tiny models (TensorProto.DataType). */
export const ELEM = { float: 1, bool: 9, int64: 7, double: 11 } as const;
export type ElemName = keyof typeof ELEM;

type TensorData = Float32Array | Float64Array | BigInt64Array;
type AttrValue = number | number[] | string | { float: number } | { int: number } | { ints: number[] } | { tensor: { dims: number[]; data: TensorData } };

/** Builds one graph; `op` returns the output name(s) of the node it adds. */
export class GraphBuilder {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private readonly inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly outputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private counter = 0;

  /** A fresh intermediate value name. */
  fresh(hint: string): string {
    this.counter += 1;
    return `${hint}_${this.counter}`;
  }

  /** Adds a constant tensor (float32, float64 or int64) and returns its name. */
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

  opN(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs = 1): string[] {
    const outs = Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        input: inputs,
        output: outs,
        name: this.fresh(`n_${opType}`),
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
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName,
      opsetImport: [{ domain: '', version: 17 }],
      graph: onnx.GraphProto.create({
        name: graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      }),
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function tensorProto(name: string, dims: number[], data: TensorData) {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const dataType = data instanceof Float32Array ? ELEM.float : data instanceof Float64Array ? ELEM.double : ELEM.int64;
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
  return onnx.AttributeProto.create({ name, type: T.TENSOR, t: tensorProto(name, v.tensor.dims, v.tensor.data) });
}
