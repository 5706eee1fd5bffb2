"""Opening ONNX models: manifest, checksums, provider choice, session cache."""
