extension FormulaIndex {
    /// Opens the index for `configuration`'s cache and bottle tag.
    public convenience init(configuration: InstallConfiguration) throws(FormulaIndex.IndexError) {
        try self.init(path: IndexSettings.indexPath(layout: configuration.layout, tag: configuration.bottleTag))
    }
}
