// A small Swift wrapper over the inkjot C API, and how to call it. Build (see README.md):
//   swiftc -I include -L target/release swift/Inkjot.swift -o inkjot-swift
import Inkjot

/// An inkjot error: the C status code and the library's message.
struct InkjotError: Error, CustomStringConvertible {
    let status: InkjotStatus
    let message: String

    init(_ status: InkjotStatus) {
        self.status = status
        // The message belongs to the library until the next call on this thread: copy it now.
        self.message = String(cString: inkjot_last_error_message())
    }

    var description: String {
        "\(String(cString: inkjot_status_name(Int32(status.rawValue)))): \(message)"
    }
}

/// A recognizer; safe to share between threads (the C recognizer is immutable).
final class HandwritingRecognizer: @unchecked Sendable {
    private let handle: OpaquePointer

    /// Loads a model file; `language` is a pack under the model's directory ("" for none).
    init(modelPath: String, language: String = "") throws {
        var out: OpaquePointer?
        let status = inkjot_recognizer_new_from_path(modelPath, language, &out)
        guard status == INKJOT_STATUS_OK, let handle = out else { throw InkjotError(status) }
        self.handle = handle
    }

    deinit { inkjot_recognizer_free(handle) }

    /// Recognizes strokes of points (x right, y down, t in milliseconds); best candidate first.
    func recognize(strokes: [[InkjotPoint]], nbest: Int = 5, preContext: String = "",
                   writingAreaHeight: Double = 0) throws -> [(text: String, score: Float)] {
        let points = strokes.flatMap { $0 }
        let lengths = strokes.map { $0.count }
        var options = inkjot_options_default()
        options.nbest = nbest
        options.writing_area_height = writingAreaHeight
        var results: OpaquePointer?
        let status = preContext.withCString { context -> InkjotStatus in
            options.pre_context = context  // borrowed only during the call
            return inkjot_recognize(handle, points, lengths, lengths.count, &options, &results)
        }
        guard status == INKJOT_STATUS_OK, let list = results else { throw InkjotError(status) }
        defer { inkjot_results_free(list) }
        return (0..<inkjot_results_count(list)).map { i in
            (String(cString: inkjot_results_text(list, i)!), inkjot_results_score(list, i))
        }
    }
}

// Usage: one vertical stroke.
let args = CommandLine.arguments
let recognizer = try HandwritingRecognizer(
    modelPath: args.count > 1 ? args[1] : "models/recognizer-int8.safetensors")
let stroke = (0..<20).map { i in InkjotPoint(x: 10, y: Double(i) * 5, t: Double(i) * 10) }
for candidate in try recognizer.recognize(strokes: [stroke], nbest: 3) {
    print(candidate.text, candidate.score)
}
