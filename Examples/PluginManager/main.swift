// pour-plugin-manager-example — installs "plugins" (formulae) into a private prefix the way a
// pre-concurrency Dispatch application would embed PourCore: an OperationQueue of PourCore
// operations, progress on one serial queue, Ctrl-C through a DispatchSource, dispatchMain().
//
//   HOMEBREW_API_DOMAIN=http://127.0.0.1:PORT/api HOMEBREW_ARTIFACT_DOMAIN=http://127.0.0.1:PORT \
//   pour-plugin-manager-example --prefix /tmp/plugins [--cache DIR] [--jobs N] hello wget
import Foundation
import PourCore

let usage = "usage: pour-plugin-manager-example --prefix DIR [--cache DIR] [--jobs N] PLUGIN..."

switch PluginArguments.parse(Array(CommandLine.arguments.dropFirst())) {
case .failure(let message):
    FileHandle.standardError.write(Data("\(message)\n\(usage)\n".utf8))
    exit(2)
case .success(let arguments):
    var configuration = InstallConfiguration.fromEnvironment(prefix: arguments.prefix, cache: arguments.cache)
    if let jobs = arguments.jobs { configuration.jobs = jobs }
    let manager = PluginManager(configuration: configuration, plugins: arguments.plugins)
    manager.run { status in exit(status) }
    dispatchMain()
}
