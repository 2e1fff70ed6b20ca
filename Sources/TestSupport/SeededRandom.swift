/// SplitMix64: a tiny, fast, well-mixed PRNG. Generation must be reproducible from a seed and
/// fast enough to produce hundreds of megabytes of "incompressible" bytes, which rules out
/// the system generator.
///
/// A value type with no shared state; each generator is owned by whoever created it.
package struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    package init(seed: UInt64) { state = seed }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniformly distributed value in `0..<bound` (bound > 0); slight modulo bias is fine here.
    package mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(max(bound, 1)))
    }

    /// Derives an independent generator, e.g. one per formula, so adding a formula does not
    /// change the bytes of the others.
    package static func derived(seed: UInt64, label: String) -> SeededRandom {
        // FNV-1a over the label, mixed with the seed.
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in label.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01B3
        }
        var generator = SeededRandom(seed: seed ^ hash)
        _ = generator.next()
        return generator
    }
}
