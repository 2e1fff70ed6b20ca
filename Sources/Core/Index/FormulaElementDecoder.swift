import Foundation

/// Decodes one element of `formula.json` the way the whole-array decoder treats an element
/// (`FormulaCatalog(formulaArray:)`): an element that is not a formula object, or a formula the
/// specialiser refuses, is an unusable entry (reported, not fatal); an element that is not JSON
/// at all makes the catalogue malformed. One `JSONDecoder`, configured for the tag, serves every
/// element.
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
        let lenient: Lenient
        do {
            lenient = try decoder.decode(Lenient.self, from: Data(element))
        } catch {
            throw .malformedCatalogue(source: source, detail: "element \(index) is not valid JSON")
        }
        guard let object = lenient.value else {
            return .failure(.malformedJSON(source: source, detail: "element \(index) is not a formula object"))
        }
        do throws(RegistryError) {
            return .success(try FormulaSpecializer.formula(from: object, tag: tag))
        } catch {
            return .failure(error)
        }
    }
}
