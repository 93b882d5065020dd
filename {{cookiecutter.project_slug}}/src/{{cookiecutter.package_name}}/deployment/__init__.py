"""Turning a checkpoint into a portable model bundle: safetensors weights, an ONNX graph, JSON metadata."""
