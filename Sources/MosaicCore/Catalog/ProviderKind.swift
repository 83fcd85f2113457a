/// The kind of service a provider offers.
///
/// The raw value is the catalog spelling (`kind: ai`), always lowercase.
public enum ProviderKind: String, Sendable, Codable, CaseIterable {
    /// LLM APIs and self-hosted model servers (OpenAI, Anthropic, Cohere, Ollama).
    case ai
    /// Git hosting (GitHub, GitLab, Gitea, Bitbucket).
    case git
    /// CI/CD build services (GitHub Actions, GitLab CI, Woodpecker, Jenkins).
    case ci
    /// Knowledge bases and wikis (Notion, Confluence, BookStack, Wiki.js).
    case kb
    /// Workflow automation engines (n8n, Zapier, Make).
    case workflow

    /// The name reports use for the kind: "AI/LLM", "git", "CI/CD", "knowledge base", "workflow".
    public var displayName: String {
        switch self {
        case .ai: return "AI/LLM"
        case .git: return "git"
        case .ci: return "CI/CD"
        case .kb: return "knowledge base"
        case .workflow: return "workflow"
        }
    }
}
