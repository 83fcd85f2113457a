import Foundation
import MosaicCore
import Testing

/// Reads `yaml` as "test.yaml" and returns the error it is rejected with.
private func catalogError(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) -> YAMLError? {
    #expect(throws: YAMLError.self, sourceLocation: sourceLocation) {
        try Catalog(yaml: yaml, source: "test.yaml")
    }
}

/// A valid one-provider catalog; line numbers in the comments are those of the YAML text.
private let minimal = """
    version: 1
    providers:
      - id: openai
        name: OpenAI
        kind: ai
        regions: [us]
        self_hosted: false
    """
// line 1: version, 2: providers, 3: id, 4: name, 5: kind, 6: regions, 7: self_hosted

/// `minimal` with the provider's line `field: ...` replaced by `line` (or removed when nil).
private func minimal(replacing field: String, with line: String?) -> String {
    minimal.split(separator: "\n", omittingEmptySubsequences: false).compactMap { text -> String? in
        let trimmed = text.drop { $0 == " " || $0 == "-" }
        guard trimmed.hasPrefix("\(field):") else { return String(text) }
        guard let line else { return nil }
        return text.hasPrefix("  - ") ? "  - " + line : "    " + line
    }.joined(separator: "\n")
}

/// Tests of `Catalog` and the value types it holds, grouped by concern.
@Suite("Catalog") enum CatalogTests {}

extension CatalogTests {
    @Suite("the built-in catalog")
    struct BuiltIn {
        let catalog = Catalog.default

        @Test func listsEveryProviderOfTheBriefInFileOrder() {
            #expect(catalog.providers.map(\.id) == [
                "openai", "anthropic", "cohere", "ollama",
                "github", "gitlab", "gitea", "bitbucket",
                "github-actions", "gitlab-ci", "woodpecker", "jenkins",
                "notion", "confluence", "bookstack", "wikijs",
                "n8n", "zapier", "make",
            ])
            #expect(catalog.ids.count == 19)
            #expect(catalog.providers(ofKind: .ai).map(\.id) == ["openai", "anthropic", "cohere", "ollama"])
            #expect(catalog.providers(ofKind: .git).map(\.id) == ["github", "gitlab", "gitea", "bitbucket"])
            #expect(
                catalog.providers(ofKind: .ci).map(\.id) == ["github-actions", "gitlab-ci", "woodpecker", "jenkins"]
            )
            #expect(catalog.providers(ofKind: .kb).map(\.id) == ["notion", "confluence", "bookstack", "wikijs"])
            #expect(catalog.providers(ofKind: .workflow).map(\.id) == ["n8n", "zapier", "make"])
            #expect(catalog.provider(id: "nope") == nil)
        }

        @Test func gitHubRateLimits() throws {
            let github = try #require(catalog.provider(id: "github"))
            #expect(github.rateLimit() == RateLimit(requests: 5_000, period: .hour, scope: "default"))
            #expect(github.rateLimit(scope: "search") == RateLimit(requests: 30, period: .minute, scope: "search"))
            #expect(
                github.rateLimit(scope: "unauthenticated")
                    == RateLimit(requests: 60, period: .hour, scope: "unauthenticated")
            )
            #expect(github.rateLimits.count == 3)
            let limit = try #require(github.rateLimit())
            #expect(abs(limit.perSecond - 5_000.0 / 3_600.0) < 1e-12)
        }

        @Test func bitbucketAllowsAThousandRequestsAnHour() throws {
            let bitbucket = try #require(catalog.provider(id: "bitbucket"))
            #expect(bitbucket.rateLimits == [RateLimit(requests: 1_000, period: .hour)])
        }

        @Test func ollamaIsSelfHostedFreeAndUnlimited() throws {
            let ollama = try #require(catalog.provider(id: "ollama"))
            #expect(ollama.selfHosted)
            #expect(ollama.rateLimits.isEmpty)
            #expect(ollama.contextWindow == nil)
            #expect(ollama.supports("strict_privacy"))
            #expect(ollama.pricing == "free (self-hosted)")
        }

        @Test func contextWindowsAndCapabilities() throws {
            #expect(catalog.provider(id: "openai")?.contextWindow == 128_000)
            #expect(catalog.provider(id: "anthropic")?.contextWindow == 200_000)
            #expect(catalog.provider(id: "cohere")?.contextWindow == 128_000)
            #expect(catalog.provider(id: "openai")?.supports("vision") == true)
            #expect(catalog.provider(id: "anthropic")?.supports("long_context") == true)
            for provider in catalog.providers(ofKind: .ai) where !provider.selfHosted {
                #expect(provider.pricing == "usage-based", "\(provider.id)")
            }
        }

        @Test func selfHostedProvidersAndPrices() throws {
            let selfHosted = catalog.providers.filter(\.selfHosted).map(\.id)
            #expect(selfHosted == ["ollama", "gitea", "woodpecker", "jenkins", "bookstack", "wikijs", "n8n"])
            #expect(catalog.provider(id: "woodpecker")?.pricing == "free (self-hosted)")
            #expect(catalog.provider(id: "jenkins")?.pricing == "free (self-hosted)")
            #expect(catalog.provider(id: "gitea")?.rateLimits.isEmpty == true)
            let actions = try #require(catalog.provider(id: "github-actions"))
            #expect(actions.pricing == "usage-based")
            #expect(actions.notes?.contains("$0.008 per minute (Linux) per the design documents") == true)
            #expect(catalog.provider(id: "confluence")?.pricing?.hasPrefix("paid") == true)
            #expect(catalog.provider(id: "gitlab")?.rateLimit()?.requests == 2_000)
            #expect(catalog.provider(id: "gitlab")?.notes?.contains("configurable") == true)
        }

        @Test func complianceClaimsAreConservative() {
            #expect(catalog.provider(id: "ollama")?.compliance == [.gdpr, .hipaa])
            #expect(catalog.provider(id: "gitea")?.compliance == [.gdpr, .hipaa])
            #expect(!catalog.providers.contains { $0.complies(with: .fedramp) })
            for provider in catalog.providers {
                #expect(!provider.regions.isEmpty, "\(provider.id)")
                #expect(Provider.isValidID(provider.id), "\(provider.id)")
            }
            #expect(Catalog.defaultYAML.contains("own attestation"))
        }
    }
}

extension CatalogTests {
    @Suite("reading and validating YAML")
    struct Validation {
        @Test func readsAMinimalCatalogWithDefaults() throws {
            let catalog = try Catalog(yaml: minimal, source: "test.yaml")
            let openai = try #require(catalog.provider(id: "openai"))
            #expect(openai == Provider(id: "openai", name: "OpenAI", kind: .ai, regions: ["us"], selfHosted: false))
            #expect(catalog.ids == ["openai"])
        }

        @Test func readsEveryOptionalField() throws {
            let yaml = minimal + """

                    compliance: [GDPR, soc2, FedRAMP, Hipaa]
                    rate_limits:
                      - {requests: 10_000, per: minute}
                      - requests: 2
                        per: second
                        scope: search
                    capabilities: [vision, code]
                    context_window: 128000
                    pricing: usage-based
                    notes: "Tier 5: 10,000/minute"
                """
            let provider = try #require(try Catalog(yaml: yaml, source: "test.yaml").provider(id: "openai"))
            #expect(provider.compliance == [.gdpr, .soc2, .fedramp, .hipaa])
            #expect(provider.rateLimits == [
                RateLimit(requests: 10_000, period: .minute, scope: "default"),
                RateLimit(requests: 2, period: .second, scope: "search"),
            ])
            #expect(provider.capabilities == ["vision", "code"])
            #expect(provider.contextWindow == 128_000)
            #expect(provider.pricing == "usage-based")
            #expect(provider.notes == "Tier 5: 10,000/minute")
        }

        @Test func nullOptionalFieldsAreAbsent() throws {
            let yaml = minimal + "\n    context_window: ~\n    notes:\n    rate_limits:"
            let provider = try #require(try Catalog(yaml: yaml, source: "test.yaml").providers.first)
            #expect(provider.contextWindow == nil)
            #expect(provider.notes == nil)
            #expect(provider.rateLimits.isEmpty)
        }

        @Test func unknownKind() {
            let error = catalogError(minimal(replacing: "kind", with: "kind: aii"))
            #expect(error?.path == "providers[0].kind")
            #expect(error?.description == """
                test.yaml:5: providers[0].kind: 'aii' is not a provider kind (expected one of ai, git, ci, kb, workflow)
                """)
            #expect(error?.line == 5)
            #expect(error?.source == "test.yaml")
        }

        @Test func yamlSyntaxErrorsNameTheLine() {
            let unclosed = catalogError(minimal(replacing: "name", with: "name: [OpenAI"))
            #expect(unclosed?.line == 5)
            let unclosedPrefix = "test.yaml:5: YAML syntax error: did not find expected ',' or ']'"
            #expect(unclosed?.description.hasPrefix(unclosedPrefix) == true)

            let tab = catalogError(minimal(replacing: "kind", with: "kind: ai\n\tregions: [us]"))
            #expect(tab?.description.hasPrefix("test.yaml:6: YAML syntax error: ") == true)

            let repeated = catalogError(minimal(replacing: "kind", with: "name: Again\n    kind: ai"))
            #expect(repeated == YAMLError(
                source: "test.yaml", line: 4, path: "",
                .syntax("key 'name' is repeated in the same mapping (first occurrence on this line)")
            ))

            let twoDocuments = catalogError(minimal + "\n---\nversion: 1")
            #expect(twoDocuments?.line == 8)
        }

        @Test func missingFields() {
            let noName = catalogError(minimal(replacing: "name", with: nil))
            #expect(noName == YAMLError(source: "test.yaml", line: 3, path: "providers[0]", .missingField("name")))
            #expect(noName?.description == "test.yaml:3: providers[0]: missing required field 'name'")

            let noSelfHosted = catalogError(minimal(replacing: "self_hosted", with: nil))
            #expect(noSelfHosted?.description == "test.yaml:3: providers[0]: missing required field 'self_hosted'")

            let noVersion = catalogError(minimal(replacing: "version", with: nil))
            #expect(noVersion?.description == "test.yaml:1: missing required field 'version'")

            let noPer = catalogError(minimal + "\n    rate_limits:\n      - {requests: 10}")
            #expect(noPer?.description == "test.yaml:9: providers[0].rate_limits[0]: missing required field 'per'")
        }

        @Test func wrongTypes() {
            let maybe = catalogError(minimal(replacing: "self_hosted", with: "self_hosted: maybe"))
            #expect(maybe == YAMLError(
                source: "test.yaml", line: 7, path: "providers[0].self_hosted",
                .wrongType(expected: "true or false", found: "'maybe'")
            ))
            #expect(maybe?.description == """
                test.yaml:7: providers[0].self_hosted: expected true or false, found 'maybe'
                """)

            let regions = catalogError(minimal(replacing: "regions", with: "regions: us"))
            #expect(regions?.description == "test.yaml:6: providers[0].regions: expected a list, found 'us'")

            let quoted = catalogError(minimal + "\n    context_window: \"128000\"")
            #expect(quoted?.description == """
                test.yaml:8: providers[0].context_window: expected a whole number, found the quoted text '128000'
                """)

            let fraction = catalogError(minimal + "\n    rate_limits:\n      - {requests: 1.5, per: second}")
            #expect(fraction?.description == """
                test.yaml:9: providers[0].rate_limits[0].requests: expected a whole number, found '1.5'
                """)

            let name = catalogError(minimal(replacing: "name", with: "name: {first: Open}"))
            #expect(name?.description == "test.yaml:4: providers[0].name: expected text, found a mapping")

            let notAList = catalogError("version: 1\nproviders:\n  id: openai\n")
            #expect(notAList?.description == "test.yaml:3: providers: expected a list, found a mapping")

            let notAMapping = catalogError("- version: 1\n")
            #expect(notAMapping?.description == """
                test.yaml:1: expected a mapping with keys version and providers, found a list
                """)

            let providerNotAMapping = catalogError("version: 1\nproviders:\n  - openai\n")
            #expect(providerNotAMapping?.description == """
                test.yaml:3: providers[0]: expected a provider (a mapping), found 'openai'
                """)
        }

        @Test func unknownComplianceTag() {
            let error = catalogError(minimal + "\n    compliance: [GDPR, iso27001]")
            #expect(error?.line == 8)
            #expect(error?.path == "providers[0].compliance[1]")
            #expect(error?.description == """
                test.yaml:8: providers[0].compliance[1]: 'iso27001' is not a compliance tag \
                (expected one of gdpr, hipaa, soc2, fedramp, in any letter case)
                """)
        }

        @Test func duplicateIDNamesBothLines() {
            let yaml = minimal + "\n" + minimal.split(separator: "\n").dropFirst(2).joined(separator: "\n")
            let error = catalogError(yaml)
            #expect(error?.line == 8)
            #expect(error?.path == "providers[1].id")
            #expect(error?.description == """
                test.yaml:8: providers[1].id: duplicate provider id 'openai' (first defined at test.yaml:3)
                """)
        }

        @Test func nonPositiveCounts() {
            let zero = catalogError(minimal + "\n    rate_limits:\n      - {requests: 0, per: hour}")
            #expect(zero == YAMLError(
                source: "test.yaml", line: 9, path: "providers[0].rate_limits[0].requests",
                .outOfRange(expected: "greater than zero", found: "0")
            ))
            #expect(zero?.description == """
                test.yaml:9: providers[0].rate_limits[0].requests: must be greater than zero, found 0
                """)

            let negative = catalogError(minimal + "\n    rate_limits:\n      - requests: -5\n        per: hour")
            #expect(negative?.description == """
                test.yaml:9: providers[0].rate_limits[0].requests: must be greater than zero, found -5
                """)

            let window = catalogError(minimal + "\n    context_window: -128000")
            #expect(window?.description == """
                test.yaml:8: providers[0].context_window: must be greater than zero, found -128000
                """)

            let zeroWindow = catalogError(minimal + "\n    context_window: 0")
            #expect(zeroWindow == YAMLError(
                source: "test.yaml", line: 8, path: "providers[0].context_window",
                .outOfRange(expected: "greater than zero", found: "0")
            ))
        }

        @Test func unknownPeriod() {
            let error = catalogError(minimal + "\n    rate_limits:\n      - {requests: 100, per: week}")
            #expect(error?.description == """
                test.yaml:9: providers[0].rate_limits[0].per: 'week' is not a rate-limit period \
                (expected one of second, minute, hour, day)
                """)
        }

        @Test(arguments: ["Open_AI", "OpenAI", "-openai", "openai-", "open--ai", "open ai", "\"\"", "ключ"])
        func invalidIDs(id: String) {
            let error = catalogError(minimal(replacing: "id", with: "id: \(id)"))
            #expect(error?.line == 3)
            if id == "\"\"" {
                #expect(error?.description == "test.yaml:3: providers[0].id: must not be empty")
            } else {
                #expect(error?.description == """
                    test.yaml:3: providers[0].id: '\(id)' is not a valid id \
                    (use lowercase letters a-z, digits 0-9 and single hyphens, e.g. 'github-actions')
                    """)
            }
        }

        @Test func validIDs() {
            for id in ["openai", "github-actions", "n8n", "1password", "a", "gitlab-ci-2"] {
                #expect(Provider.isValidID(id), "\(id)")
            }
            for id in ["", "-", "a-", "-a", "a--b", "A", "a_b", "a.b", "é"] {
                #expect(!Provider.isValidID(id), "\(id)")
            }
        }

        @Test func unknownTopLevelKey() {
            let error = catalogError(minimal.replacingOccurrences(of: "providers:", with: "provders:"))
            #expect(error == YAMLError(
                source: "test.yaml", line: 2, path: "", .unknownKey("provders", allowed: ["version", "providers"])
            ))
            #expect(error?.description == """
                test.yaml:2: unknown key 'provders' (did you mean 'providers'?); allowed keys: version, providers
                """)
        }

        @Test func unknownProviderKey() {
            let error = catalogError(minimal + "\n    contxt_window: 128000")
            #expect(error?.description == """
                test.yaml:8: providers[0]: unknown key 'contxt_window' (did you mean 'context_window'?); \
                allowed keys: id, name, kind, regions, self_hosted, compliance, rate_limits, capabilities, \
                context_window, pricing, notes
                """)

            let unrelated = catalogError(minimal + "\n    colour: blue")
            let unrelatedPrefix = "test.yaml:8: providers[0]: unknown key 'colour'; allowed keys: id,"
            #expect(unrelated?.description.hasPrefix(unrelatedPrefix) == true)

            let rateLimitKey = catalogError(
                minimal + "\n    rate_limits:\n      - {requests: 5, per: hour, scop: search}"
            )
            #expect(rateLimitKey?.description == """
                test.yaml:9: providers[0].rate_limits[0]: unknown key 'scop' (did you mean 'scope'?); \
                allowed keys: requests, per, scope
                """)
        }

        static func emptyCatalog(line: Int) -> YAMLError {
            YAMLError(source: "test.yaml", line: line, path: "", .invalid("the catalog lists no providers"))
        }

        @Test func emptyCatalogs() {
            let noProviders = catalogError("version: 1\nproviders: []\n")
            #expect(noProviders == Self.emptyCatalog(line: 2))
            #expect(noProviders?.description == "test.yaml:2: the catalog lists no providers")

            #expect(catalogError("version: 1\nproviders:\n") == Self.emptyCatalog(line: 2))
            #expect(catalogError("") == Self.emptyCatalog(line: 1))
            #expect(catalogError("# nothing here\n") == Self.emptyCatalog(line: 1))
        }

        @Test func emptyValues() {
            let regions = catalogError(minimal(replacing: "regions", with: "regions: []"))
            #expect(regions == YAMLError(source: "test.yaml", line: 6, path: "providers[0].regions", .emptyValue))
            #expect(regions?.description == "test.yaml:6: providers[0].regions: must not be empty")

            let blankRegion = catalogError(minimal(replacing: "regions", with: "regions: [us, \" \"]"))
            #expect(blankRegion?.description == "test.yaml:6: providers[0].regions[1]: must not be empty")

            let name = catalogError(minimal(replacing: "name", with: "name:"))
            #expect(name?.description == "test.yaml:4: providers[0].name: must not be empty")
        }

        @Test func versionMustBeOne() {
            let two = catalogError(minimal.replacingOccurrences(of: "version: 1", with: "version: 2"))
            #expect(two == YAMLError(source: "test.yaml", line: 1, path: "version", .unsupportedVersion(document: "catalog", found: "'2'")))
            #expect(two?.description == "test.yaml:1: version: expected catalog version 1, found '2'")

            let text = catalogError(minimal.replacingOccurrences(of: "version: 1", with: "version: \"1\""))
            #expect(text?.description == "test.yaml:1: version: expected catalog version 1, found the quoted text '1'")
        }

        @Test func regionsNamedLikeBooleansStayText() throws {
            // YAML 1.1 reads a bare `no` as false; regions and names are read as written.
            let yaml = minimal(replacing: "regions", with: "regions: [no, on, 1]")
            let provider = try #require(try Catalog(yaml: yaml, source: "test.yaml").providers.first)
            #expect(provider.regions == ["no", "on", "1"])
        }
    }
}

extension CatalogTests {
    @Suite("files and rendering")
    struct Files {
        /// A fresh temporary directory, removed by `body`'s caller after use.
        private func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
            let directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("mosaic-catalog-tests-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            return try body(directory)
        }

        @Test func loadsAFile() throws {
            try withTemporaryDirectory { directory in
                let file = directory.appendingPathComponent("catalog.yaml")
                try Catalog.defaultYAML.write(to: file, atomically: true, encoding: .utf8)
                let catalog = try Catalog.load(path: file.path)
                #expect(catalog == Catalog.default)
            }
        }

        @Test func fileErrorsNameThePath() throws {
            try withTemporaryDirectory { directory in
                let path = directory.appendingPathComponent("catalog.yaml").path
                try minimal(replacing: "kind", with: "kind: aii").write(toFile: path, atomically: true, encoding: .utf8)
                let error = #expect(throws: YAMLError.self) { try Catalog.load(path: path) }
                let expectedPrefix = "\(path):5: providers[0].kind: 'aii' is not a provider kind"
                #expect(error?.description.hasPrefix(expectedPrefix) == true)

                let latin1 = directory.appendingPathComponent("latin1.yaml")
                try Data([0x6E, 0x61, 0x6D, 0x65, 0x3A, 0x20, 0xE9]).write(to: latin1)
                let notUTF8 = #expect(throws: YAMLError.self) { try Catalog.load(path: latin1.path) }
                #expect(notUTF8 == .unreadableFile(path: latin1.path, document: "catalog", reason: "the file is not UTF-8 text"))

                let directoryError = #expect(throws: YAMLError.self) { try Catalog.load(path: directory.path) }
                #expect(
                    directoryError == .unreadableFile(path: directory.path, document: "catalog", reason: "it is a directory, not a file")
                )
            }
        }

        @Test func missingFile() throws {
            let path = FileManager.default.temporaryDirectory
                .appendingPathComponent("mosaic-no-such-catalog-\(UUID().uuidString).yaml").path
            let error = #expect(throws: YAMLError.self) { try Catalog.load(path: path) }
            #expect(error == .unreadableFile(path: path, document: "catalog", reason: "no such file"))
            #expect(error?.description == "\(path): cannot read the catalog: no such file")
            #expect(error?.line == nil)
        }

        @Test func defaultCatalogRoundTrips() throws {
            let rendered = Catalog.default.yaml()
            let reread = try Catalog(yaml: rendered, source: "rendered.yaml")
            #expect(reread == Catalog.default)
            #expect(reread.providers == Catalog.default.providers)
            #expect(reread.yaml() == rendered)
        }

        @Test func awkwardTextRoundTrips() throws {
            let yaml = """
                version: 1
                providers:
                  - id: "123"
                    name: "no"
                    kind: kb
                    regions: ["on", "eu, west", "Zürich", "2024-01-01", "null", "1.5", "a: b", "x #y"]
                    self_hosted: true
                    compliance: []
                    rate_limits:
                      - {requests: 7, per: day, scope: "search, v2"}
                    capabilities: ["[x]", "-dash", " lead", "trail "]
                    pricing: '$0.008 per minute'
                    notes: "line one\\nline \\"two\\"\\ttab \\\\ back\\u0001 — ok"
                """
            let catalog = try Catalog(yaml: yaml, source: "test.yaml")
            let provider = try #require(catalog.provider(id: "123"))
            #expect(provider.name == "no")
            #expect(provider.regions == ["on", "eu, west", "Zürich", "2024-01-01", "null", "1.5", "a: b", "x #y"])
            #expect(provider.capabilities == ["[x]", "-dash", " lead", "trail "])
            #expect(provider.notes == "line one\nline \"two\"\ttab \\ back\u{1} — ok")
            let reread = try Catalog(yaml: catalog.yaml(), source: "rendered.yaml")
            #expect(reread == catalog)
        }
    }
}

extension CatalogTests {
    @Suite("value types")
    struct Values {
        @Test func periodsAndRates() {
            #expect(RateLimit.Period.allCases.map(\.seconds) == [1, 60, 3_600, 86_400])
            #expect(RateLimit(requests: 30, period: .minute).perSecond == 0.5)
            #expect(RateLimit(requests: 3, period: .second).scope == "default")
        }

        @Test func complianceTagSpellings() {
            for (text, tag) in [
                ("GDPR", ComplianceTag.gdpr), ("gdpr", .gdpr), ("SOC2", .soc2), ("soc2", .soc2),
                ("FedRAMP", .fedramp), ("fedramp", .fedramp), ("HIPAA", .hipaa),
            ] {
                #expect(ComplianceTag(parsing: text) == tag, "\(text)")
            }
            #expect(ComplianceTag(parsing: "iso27001") == nil)
            #expect(ComplianceTag.allCases.map(\.displayName) == ["GDPR", "HIPAA", "SOC2", "FedRAMP"])
        }

        @Test func providerKindsAndCodable() throws {
            #expect(ProviderKind.allCases.map(\.rawValue) == ["ai", "git", "ci", "kb", "workflow"])
            let github = try #require(Catalog.default.provider(id: "github"))
            let data = try JSONEncoder().encode(github)
            #expect(try JSONDecoder().decode(Provider.self, from: data) == github)
        }
    }
}
