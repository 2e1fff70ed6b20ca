import Foundation

/// Decodes one element of `formula.json` the way the whole-array decoder treats an element
/// (`FormulaCatalog(formulaArray:)`): an element that is not a formula object, or a formula the
/// specialiser refuses, is an unusable entry (reported, not fatal); an element that is not JSON
/// at all makes the catalogue malformed. Plain formula objects are read by `FormulaJSON.read`
/// (the byte reader); the rest by one `JSONDecoder`, configured for the tag.
///
/// Confinement: a value owned by the one queue building the index.
struct FormulaElementDecoder {
    private let decoder: JSONDecoder
    private let tag: BottleTag
    private let source: String

    init(tag: BottleTag, source: String) {
        decoder = JSONDecoder()
        decoder.userInfo[FormulaJSON.onlyVariationKey] = tag.rawValue
        self.tag = tag
        self.source = source
    }

    /// An element that never fails to decode: nil when it is not a formula object.
    private struct Lenient: Decodable {
        let value: FormulaJSON?
        init(from decoder: Decoder) throws { value = try? FormulaJSON(from: decoder) }
    }

    func decode(_ element: UnsafeRawBufferPointer, index: Int) throws(IndexError) -> Result<Formula, RegistryError> {
        let data = Data(element)
        // The byte reader first (`FormulaJSON.read`: the same `FormulaJSON` for the documents it
        // answers, nil where `JSONDecoder` must decide), as `decodeObject` does.
        let object: FormulaJSON?
        if let read = FormulaJSON.read(data, onlyVariation: tag.rawValue) {
            object = read
        } else {
            do {
                object = try decoder.decode(Lenient.self, from: data).value
            } catch {
                throw .malformedCatalogue(source: source, detail: "element \(index) is not valid JSON")
            }
        }
        guard let object else {
            return .failure(.malformedJSON(source: source, detail: "element \(index) is not a formula object"))
        }
        do throws(RegistryError) {
            return .success(try FormulaSpecializer.formula(from: object, tag: tag))
        } catch {
            return .failure(error)
        }
    }
}
