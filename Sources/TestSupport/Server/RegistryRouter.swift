import Foundation

/// Maps a request to what should be answered, the way ghcr.io and its blob host behave:
/// the registry demands the bearer token and redirects blobs to the blob host, which serves
/// bytes without auth. Pure function of the request and the files on disk.
struct RegistryRouter {
    /// A planned response.
    enum Route: Equatable {
        /// Serve this file (ranges allowed). `sha256` names the blob for fault matching.
        case file(path: String, sha256: String?, contentType: String, isBlobTransfer: Bool)
        case redirect(location: String)
        /// A short text or JSON body with the given status and extra header fields.
        case status(Int, headers: [String: String], body: String)
    }

    let context: ServerContext

    func route(listener: RegistryListener, method: String, path rawPath: String, authorization: String?) -> Route {
        guard method == "GET" || method == "HEAD" else {
            return .status(405, headers: ["Allow": "GET, HEAD"], body: "method not allowed\n")
        }
        let path = rawPath.removingPercentEncoding ?? rawPath
        let components = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        // Never let a request climb out of the registry root.
        if components.contains(where: { $0 == ".." || $0 == "." }) {
            return .status(400, headers: [:], body: "bad path\n")
        }
        switch listener {
        case .registry: return registryRoute(components, authorization: authorization)
        case .blob: return blobRoute(components, authorization: authorization)
        }
    }

    private func registryRoute(_ components: [String], authorization: String?) -> Route {
        guard let first = components.first else { return notFound }
        switch first {
        case "api":
            return file(components.joined(separator: "/"), sha: nil, type: "application/json", blob: false)
        case "token" where components.count == 1:
            // The realm named in WWW-Authenticate: hands out the anonymous token, like ghcr.
            let token = context.configuration.token
            return .status(200, headers: ["Content-Type": "application/json"],
                           body: "{\"token\":\"\(token)\",\"access_token\":\"\(token)\"}\n")
        case "bottles" where components.count == 2:
            return file("bottles/\(components[1])", sha: nil, type: "application/gzip", blob: false)
        case "v2" where components.count == 1:
            // The API version check (`GET /v2/`) a registry client such as CNCF Distribution's
            // pull-through proxy sends first: ghcr answers 401 with the Bearer challenge whose
            // realm hands out the token, then 200 with the token.
            guard isAuthorized(authorization) else { return unauthorized(scope: nil) }
            return .status(200, headers: ["Content-Type": "application/json"], body: "{}\n")
        case "v2" where components.count >= 5:
            let kind = components[components.count - 2]
            let reference = components[components.count - 1]
            let image = components[3..<(components.count - 2)].joined(separator: "/")
            guard isAuthorized(authorization) else {
                return unauthorized(scope: components[1..<(components.count - 2)].joined(separator: "/"))
            }
            if kind == "blobs", reference.hasPrefix("sha256:") {
                // Like ghcr: an unknown blob is a 404 here, a known one a redirect to the blob host.
                guard case .file = file("blobs/\(reference)", sha: nil, type: "", blob: false) else { return notFound }
                return .redirect(location: "\(context.blobBaseURL)/blobs/\(reference)")
            }
            if kind == "manifests", !image.isEmpty, reference.hasPrefix("sha256:") {
                // Digest-addressed, as a client asks after resolving the tag (the proxy does).
                return manifestByDigest(image: image, digest: String(reference.dropFirst(7)))
            }
            if kind == "manifests", !image.isEmpty {
                return file("manifests/\(image)/\(reference)", sha: nil,
                            type: "application/vnd.oci.image.index.v1+json", blob: false)
            }
            return notFound
        default:
            return notFound
        }
    }

    private func blobRoute(_ components: [String], authorization: String?) -> Route {
        if components.count == 2, components[0] == "blobs", components[1].hasPrefix("sha256:") {
            return file("blobs/\(components[1])", sha: String(components[1].dropFirst(7)),
                        type: "application/octet-stream", blob: true)
        }
        // Reached only through the redirectToAuthHost fault: a host that wants the token.
        if components.count == 3, components[0] == "protected", components[1] == "blobs" {
            guard isAuthorized(authorization) else { return unauthorized(scope: "protected") }
            return file("blobs/\(components[2])", sha: String(components[2].dropFirst(7)),
                        type: "application/octet-stream", blob: true)
        }
        return notFound
    }

    func isAuthorized(_ authorization: String?) -> Bool {
        authorization == "Bearer \(context.configuration.token)"
    }

    func unauthorized(scope: String?) -> Route {
        let realm = "\(context.registryBaseURL)/token"
        let scopeParameter = scope.map { ",scope=\"repository:\($0):pull\"" } ?? ""
        return .status(401, headers: [
            "WWW-Authenticate": "Bearer realm=\"\(realm)\",service=\"127.0.0.1\"\(scopeParameter)",
            "Content-Type": "application/json",
        ], body: "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}\n")
    }

    /// The image's manifest file whose SHA-256 is `digest` (a few small files per image).
    private func manifestByDigest(image: String, digest: String) -> Route {
        let directory = "manifests/\(image)"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(context.root)/\(directory)")) ?? []
        for name in names.sorted() {
            let relative = "\(directory)/\(name)"
            guard case .file(let path, _, _, _) = file(relative, sha: nil, type: "", blob: false),
                  (try? FileDigest.sha256(ofFile: path)) == digest.lowercased() else { continue }
            return file(relative, sha: nil, type: "application/vnd.oci.image.index.v1+json", blob: false)
        }
        return notFound
    }

    private var notFound: Route { .status(404, headers: [:], body: "not found\n") }

    private func file(_ relative: String, sha: String?, type: String, blob: Bool) -> Route {
        let path = "\(context.root)/\(relative)"
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return notFound }
        return .file(path: path, sha256: sha, contentType: type, isBlobTransfer: blob)
    }
}
