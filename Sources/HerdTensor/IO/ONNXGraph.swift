import Foundation

/// An ONNX model (opset 17, IR version 8) built node by node and written as
/// the protobuf `onnx.ModelProto`.
///
/// Herd writes the few messages a model needs (`ModelProto`, `GraphProto`,
/// `NodeProto`, `AttributeProto`, `TensorProto`, `ValueInfoProto`,
/// `TypeProto`, `TensorShapeProto`, `OperatorSetIdProto`) with its own
/// protobuf encoder instead of code generated from `onnx.proto` with
/// swift-protobuf: it only ever writes, the field numbers below are all it
/// needs, and the build then needs no `protoc`. The field numbers are those
/// of `onnx/onnx.proto` (ONNX 1.23); the tests check the files with
/// `onnx.checker` and run them with onnxruntime.
public struct ONNXGraph {
    public enum ElementType: Int { case float = 1, uint8 = 2, int8 = 3, int64 = 7 }

    /// A dimension of an input or output: a size, or a named one (the batch).
    public enum Dimension: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
        case size(Int)
        case named(String)
        public init(integerLiteral value: Int) { self = .size(value) }
        public init(stringLiteral value: String) { self = .named(value) }
    }

    public enum Attribute {
        case int(String, Int)
        case ints(String, [Int])
        case float(String, Float)
    }

    public let name: String
    private var nodes: [[UInt8]] = []
    private var initializers: [[UInt8]] = []
    private var inputs: [[UInt8]] = []
    private var outputs: [[UInt8]] = []
    private var counter = 0
    public private(set) var parameterBytes = 0

    public init(name: String) { self.name = name }

    public mutating func input(_ name: String, _ type: ElementType = .float, shape: [Dimension]) {
        inputs.append(Self.valueInfo(name, type, shape))
    }

    /// Declares `value` (a node's output) as the graph's output `name`.
    public mutating func output(_ value: String, as name: String, _ type: ElementType = .float, shape: [Dimension]) {
        if value != name { node("Identity", [value], named: name) }
        outputs.append(Self.valueInfo(name, type, shape))
    }

    /// A constant float tensor; returns its name.
    @discardableResult
    public mutating func constant(_ values: [Float], shape: [Int], name: String? = nil) -> String {
        precondition(values.count == shape.reduce(1, *), "ONNX constant: \(values.count) values for shape \(shape)")
        var raw = [UInt8]()
        raw.reserveCapacity(4 * values.count)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { raw.append(contentsOf: $0) } }
        parameterBytes += raw.count
        return tensor(raw, .float, shape: shape, name: name ?? fresh("c"))
    }

    /// A constant int64 tensor (shapes, axes); returns its name.
    @discardableResult
    public mutating func constant(int64 values: [Int], shape: [Int]) -> String {
        var raw = [UInt8]()
        for v in values { withUnsafeBytes(of: Int64(v).littleEndian) { raw.append(contentsOf: $0) } }
        return tensor(raw, .int64, shape: shape, name: fresh("c"))
    }

    /// A constant int8 tensor (quantised weights, zero points); returns its name.
    @discardableResult
    public mutating func constant(int8 values: [Int8], shape: [Int]) -> String {
        parameterBytes += values.count
        return tensor(values.map { UInt8(bitPattern: $0) }, .int8, shape: shape, name: fresh("q"))
    }

    /// Adds a node; returns the name of its (first) output.
    @discardableResult
    public mutating func node(_ op: String, _ inputs: [String], _ attributes: [Attribute] = [], named output: String? = nil) -> String {
        let out = output ?? fresh(op.lowercased())
        var w = ProtobufWriter()
        for input in inputs { w.string(1, input) }
        w.string(2, out)
        w.string(3, fresh("node_\(op)"))
        w.string(4, op)
        for attribute in attributes { w.message(5, Self.attribute(attribute)) }
        nodes.append(w.bytes)
        return out
    }

    /// The `ModelProto` bytes.
    public func model(producerVersion: String, docString: String = "") -> [UInt8] {
        var graph = ProtobufWriter()
        for n in nodes { graph.message(1, n) }
        graph.string(2, name)
        for t in initializers { graph.message(5, t) }
        for i in inputs { graph.message(11, i) }
        for o in outputs { graph.message(12, o) }
        var opset = ProtobufWriter()
        opset.string(1, "")
        opset.varint(2, 17)
        var model = ProtobufWriter()
        model.varint(1, 8)                                   // ir_version
        model.string(2, "herd")                              // producer_name
        model.string(3, producerVersion)                     // producer_version
        if !docString.isEmpty { model.string(6, docString) } // doc_string
        model.message(7, graph.bytes)                        // graph
        model.message(8, opset.bytes)                        // opset_import
        return model.bytes
    }

    private mutating func fresh(_ prefix: String) -> String {
        counter += 1
        return "\(prefix)_\(counter)"
    }

    private mutating func tensor(_ raw: [UInt8], _ type: ElementType, shape: [Int], name: String) -> String {
        var w = ProtobufWriter()
        for d in shape { w.varint(1, UInt64(bitPattern: Int64(d))) }   // dims
        w.varint(2, UInt64(type.rawValue))                             // data_type
        w.string(8, name)                                              // name
        w.lengthDelimited(9, raw)                                                // raw_data
        initializers.append(w.bytes)
        return name
    }

    private static func valueInfo(_ name: String, _ type: ElementType, _ shape: [Dimension]) -> [UInt8] {
        var dims = ProtobufWriter()
        for d in shape {
            var dim = ProtobufWriter()
            switch d {
            case let .size(n): dim.varint(1, UInt64(n))
            case let .named(s): dim.string(2, s)
            }
            dims.message(1, dim.bytes)
        }
        var tensorType = ProtobufWriter()
        tensorType.varint(1, UInt64(type.rawValue))                    // elem_type
        tensorType.message(2, dims.bytes)                              // shape
        var typeProto = ProtobufWriter()
        typeProto.message(1, tensorType.bytes)                         // tensor_type
        var w = ProtobufWriter()
        w.string(1, name)
        w.message(2, typeProto.bytes)
        return w.bytes
    }

    private static func attribute(_ attribute: Attribute) -> [UInt8] {
        var w = ProtobufWriter()
        switch attribute {
        case let .int(name, value):
            w.string(1, name)
            w.varint(3, UInt64(bitPattern: Int64(value)))
            w.varint(20, 2)                                            // INT
        case let .ints(name, values):
            w.string(1, name)
            for v in values { w.varint(8, UInt64(bitPattern: Int64(v))) }
            w.varint(20, 7)                                            // INTS
        case let .float(name, value):
            w.string(1, name)
            w.fixed32(2, value.bitPattern)
            w.varint(20, 1)                                            // FLOAT
        }
        return w.bytes
    }
}

// MARK: - Layers as ONNX nodes

extension Activation {
    /// The activation applied to `x` in `graph`.
    public func onnx(_ graph: inout ONNXGraph, _ x: String) -> String {
        switch self {
        case .identity: return x
        case .tanh: return graph.node("Tanh", [x])
        case .relu: return graph.node("Relu", [x])
        case .sigmoid: return graph.node("Sigmoid", [x])
        }
    }
}

extension Linear {
    /// `x·W + b` as `Gemm` on `[N, in]`.
    public func onnx(_ graph: inout ONNXGraph, _ x: String) -> String {
        let w = graph.constant(weight.scalars, shape: weight.shape)
        var inputs = [x, w]
        if let bias { inputs.append(graph.constant(bias.scalars, shape: bias.shape)) }
        return graph.node("Gemm", inputs)
    }
}

extension MLP {
    public func onnx(_ graph: inout ONNXGraph, _ x: String) -> String {
        var h = x
        for (i, layer) in layers.enumerated() {
            h = layer.onnx(&graph, h)
            h = (i == layers.count - 1 ? outputActivation : activation).onnx(&graph, h)
        }
        return h
    }
}

extension Conv2D {
    /// `Conv` on `[N, C, H, W]`, square kernel, symmetric padding.
    public func onnx(_ graph: inout ONNXGraph, _ x: String) -> String {
        let w = graph.constant(weight.scalars, shape: weight.shape), b = graph.constant(bias.scalars, shape: bias.shape)
        let k = weight.shape[2]
        return graph.node("Conv", [x, w, b], [.ints("kernel_shape", [k, k]), .ints("strides", [stride, stride]),
                                             .ints("pads", [padding, padding, padding, padding])])
    }
}
