/// One way to ask any PourCore error "was this a cancellation?", whatever layer it came from and
/// however it is wrapped (`InstallError.cancelled`, `PackageFailure.download(.cancelled)`,
/// `OperationError.failed(...)`, `FormulaIndex.IndexError.transfer(.cancelled)`…): see
/// `Error.isPourCancellation`.
protocol CancellationReporting {
    var isCancellation: Bool { get }
}

extension Error {
    /// True when this error (a PourCore error, possibly wrapped) means the work was cancelled
    /// rather than failed — the counterpart of Alamofire's `isExplicitlyCancelledError`.
    public var isPourCancellation: Bool { (self as? any CancellationReporting)?.isCancellation ?? false }
}

extension TransferError: CancellationReporting {
    public var isCancellation: Bool { self == .cancelled }
}

extension UnpackError: CancellationReporting {
    public var isCancellation: Bool { if case .cancelled = self { return true } else { return false } }
}

extension RelocationError: CancellationReporting {
    public var isCancellation: Bool { if case .cancelled = self { return true } else { return false } }
}

extension KegError: CancellationReporting {
    public var isCancellation: Bool { if case .cancelled = self { return true } else { return false } }
}

extension FormulaIndex.IndexError: CancellationReporting {
    public var isCancellation: Bool { if case .transfer(let error) = self { return error.isCancellation } else { return false } }
}

extension PackageFailure: CancellationReporting {
    public var isCancellation: Bool {
        switch self {
        case .download(let error): return error.isCancellation
        case .unpack(let error): return error.isCancellation
        case .relocate(let error): return error.isCancellation
        case .keg(let error): return error.isCancellation
        case .pinnedCellar: return false
        }
    }
}

extension InstallError: CancellationReporting {
    public var isCancellation: Bool {
        switch self {
        case .cancelled: return true
        case .metadata(let error): return error.isCancellation
        default: return false
        }
    }
}

extension LifecycleError: CancellationReporting {
    public var isCancellation: Bool { if case .cancelled = self { return true } else { return false } }
}

extension OperationError: CancellationReporting {
    /// `.cancelled`, or work that ended because it was cancelled while running. A dependency that
    /// did not succeed is not itself a cancellation of this operation.
    public var isCancellation: Bool {
        switch self {
        case .cancelled: return true
        case .dependencyDidNotSucceed: return false
        case .failed(let error): return error.isPourCancellation
        }
    }
}
