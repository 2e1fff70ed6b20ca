import Foundation

/// Turns a catalogue file into a formula index without ever holding the catalogue whole: the
/// bytes stream from a `CatalogueReader` through the array splitter, each formula is decoded,
/// specialised for the tag and written, and only the names and rejections are kept to the end.
///
/// A signed catalogue takes two passes over its payload: the first verifies the signature (no
/// payload byte is decoded before it is verified), the second decodes while hashing the same
/// bytes again, and the index is committed only when that digest equals the verified one.
///
/// Stateless; `run` blocks (CPU and disk), so callers run it on a utility queue, never on the I/O
/// thread or a caller's queue.
package enum CatalogueIndexBuild {
    /// What a build wrote.
    package struct Summary: Equatable {
        package var formulae: Int
        package var rejected: Int
    }

    /// Builds `path` from the catalogue `reader` reads (an envelope when `metadata.signed`, else
    /// a plain `formula.json` array). Any failure leaves `path` as it was and no temporary file.
    package static func run(_ reader: CatalogueReader, metadata: IndexWriter.Metadata, verifier: JWSVerifier,
                            path: String) throws(IndexError) -> Summary {
        let verified = metadata.signed ? try verifier.verify(reader, url: metadata.sourceURL) : nil
        return try build(reader, verified: verified, metadata: metadata, path: path)
    }

    /// The decoding pass: `verified` (nil for a plain array) says where the payload starts and
    /// which digest its bytes must have.
    package static func build(_ reader: CatalogueReader, verified: JWSVerifier.VerifiedPayload?,
                              metadata: IndexWriter.Metadata, path: String) throws(IndexError) -> Summary {
        let source = metadata.sourceURL
        let writer = try IndexWriter(path: path, metadata: metadata)
        let decoder = FormulaElementDecoder(tag: metadata.tag, source: source)
        let splitter = JSONArraySplitter()
        let digest = verified.map { SigningInputDigest(protectedHeader: $0.protectedHeader) }

        // Each element: decoded and specialised; a formula written, an unusable entry recorded.
        func consume(_ run: UnsafeRawBufferPointer) throws(IndexError) {
            digest?.update(run)
            var index = 0
            while true {
                switch splitter.next(in: run, from: &index) {
                case .needMore:
                    return
                case .element(let element, let elementIndex):
                    switch try decoder.decode(element, index: elementIndex) {
                    case .success(let formula): try writer.add(formula)
                    case .failure(let error): writer.reject(error)
                    }
                case .failure(let failure):
                    throw malformed(source, failure)
                }
            }
        }

        do throws(IndexError) {
            if let verified {
                guard try JWSEnvelope.streamPayload(reader, from: verified.offset, into: consume) else {
                    throw .signature(url: source, reason: reader.readFailure ?? "the payload changed while it was read")
                }
                guard digest?.finish() == verified.digest else {
                    throw .signature(url: source, reason: "the payload changed between verification and decoding")
                }
            } else {
                reader.seek(to: 0)
                while true {
                    let run = reader.available()
                    if run.isEmpty { break }
                    try consume(UnsafeRawBufferPointer(run))
                    reader.advance(by: run.count)
                }
                if let failure = reader.readFailure {
                    throw .malformedCatalogue(source: source, detail: "cannot read: \(failure)")
                }
            }
            if let failure = splitter.finish() { throw malformed(source, failure) }
            try writer.commit()
        } catch {
            writer.abandon()
            throw error
        }
        return Summary(formulae: writer.count, rejected: writer.rejected.count)
    }

    private static func malformed(_ source: String, _ failure: JSONArraySplitter.Failure) -> IndexError {
        let detail: String
        switch failure {
        case .notAnArray: detail = "not a JSON array of formulae"
        case .unexpected(let byte, let index):
            detail = "unexpected '\(String(UnicodeScalar(byte)))' after element \(index)"
        case .truncated(let index): detail = "ends inside the array, at element \(index)"
        case .elementTooLarge(let index): detail = "element \(index) is larger than the 16 MiB a formula may take"
        }
        return .malformedCatalogue(source: source, detail: detail)
    }
}
