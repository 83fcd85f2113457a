extension Catalog {
    /// The text of the built-in catalog (``Catalog/default``), a starting point for an
    /// organisation's own `catalog.yaml`.
    ///
    /// It lists the providers of the product's design documents with their documented facts:
    /// GitHub's 5,000 requests/hour authenticated (search 30/minute, 60/hour unauthenticated),
    /// Bitbucket's 1,000/hour, context windows of 128k (OpenAI, Cohere) and 200k (Anthropic),
    /// Ollama self-hosted with no API rate limit. Compliance tags are deliberately conservative
    /// and are the organisation's own attestation to edit.
    public static let defaultYAML = """
        # Mosaic provider catalog. Rate limits are per credential unless the scope says otherwise.
        #
        # Compliance tags (gdpr, hipaa, soc2, fedramp) are the organisation's own attestation, not a
        # certification Mosaic checks: compliance-based routing trusts them as written. The claims
        # below are conservative; edit them to match your contracts (BAAs, DPAs, audit reports).
        # Self-hosted providers carry tags only where the routing rules rely on them (strict privacy
        # -> Ollama, internal-* repositories -> Gitea); they run wherever you deploy them, so set
        # their regions (on-prem below) to your own.
        version: 1
        providers:
          # --- AI / LLM -------------------------------------------------------------------------
          # OpenAI and Anthropic request limits depend on the account's usage tier; the values below
          # are the documented top tiers for their flagship models (OpenAI tier 5: 10,000/minute,
          # tier 1: 500/minute; Anthropic tier 4: 4,000/minute, tier 1: 50/minute). Token-per-minute
          # limits also apply and are not modelled here.
          - id: openai
            name: OpenAI
            kind: ai
            regions: [us, eu]
            self_hosted: false
            compliance: [gdpr, soc2]
            rate_limits:
              - {requests: 10000, per: minute, scope: default}
            capabilities: [vision, function_calling, code]
            context_window: 128000
            pricing: usage-based
            notes: Requests per minute shown for usage tier 5; tier 1 allows 500/minute.
          - id: anthropic
            name: Anthropic
            kind: ai
            regions: [us]
            self_hosted: false
            compliance: [gdpr, soc2]
            rate_limits:
              - {requests: 4000, per: minute, scope: default}
            capabilities: [long_context, vision, function_calling, code]
            context_window: 200000
            pricing: usage-based
            notes: Requests per minute shown for usage tier 4; tier 1 allows 50/minute.
          - id: cohere
            name: Cohere
            kind: ai
            regions: [us, ca]
            self_hosted: false
            compliance: [gdpr, soc2]
            rate_limits:
              - {requests: 500, per: minute, scope: default}
            capabilities: [function_calling]
            context_window: 128000
            pricing: usage-based
            notes: Chat limit for production keys; trial keys allow 20/minute.
          - id: ollama
            name: Ollama
            kind: ai
            regions: [on-prem]
            self_hosted: true
            compliance: [gdpr, hipaa]
            rate_limits: []
            capabilities: [strict_privacy, code]
            pricing: free (self-hosted)
            notes: >-
              No API rate limit; throughput is bounded by your own hardware. The context window
              depends on the model pulled.

          # --- Git hosting ----------------------------------------------------------------------
          - id: github
            name: GitHub
            kind: git
            regions: [us]
            self_hosted: false
            compliance: [gdpr, soc2]
            rate_limits:
              - {requests: 5000, per: hour, scope: default}
              - {requests: 30, per: minute, scope: search}
              - {requests: 60, per: hour, scope: unauthenticated}
            capabilities: [code]
            pricing: free tier; per-seat plans
            notes: >-
              REST API primary limits: 5,000/hour per authenticated user, search 30/minute,
              60/hour per IP address without authentication.
          - id: gitlab
            name: GitLab
            kind: git
            regions: [us]
            self_hosted: false
            compliance: [gdpr, soc2]
            rate_limits:
              - {requests: 2000, per: minute, scope: default}
              - {requests: 500, per: minute, scope: unauthenticated}
            capabilities: [code]
            pricing: free tier; per-seat plans
            notes: >-
              Limits are configurable by the instance administrator; the values are GitLab.com's
              documented defaults (2,000/minute per authenticated user, 500/minute per IP address
              without authentication). Self-managed instances set their own.
          - id: gitea
            name: Gitea
            kind: git
            regions: [on-prem]
            self_hosted: true
            compliance: [gdpr, hipaa]
            rate_limits: []
            capabilities: [code]
            pricing: free (self-hosted)
            notes: >-
              No API rate limit by default; one can be configured by the administrator. Target of
              the internal-* routing rule for compliance.
          - id: bitbucket
            name: Bitbucket
            kind: git
            regions: [us]
            self_hosted: false
            compliance: [gdpr, soc2]
            rate_limits:
              - {requests: 1000, per: hour, scope: default}
            capabilities: [code]
            pricing: free tier; per-user plans
            notes: Bitbucket Cloud API, 1,000 requests/hour per authenticated user.

          # --- CI/CD ----------------------------------------------------------------------------
          - id: github-actions
            name: GitHub Actions
            kind: ci
            regions: [us]
            self_hosted: false
            compliance: [gdpr, soc2]
            rate_limits:
              - {requests: 5000, per: hour, scope: default}
            capabilities: [builds]
            pricing: usage-based
            notes: >-
              $0.008 per minute (Linux) per the design documents. API calls share the GitHub REST
              limit of the credential.
          - id: gitlab-ci
            name: GitLab CI
            kind: ci
            regions: [us]
            self_hosted: false
            compliance: [gdpr, soc2]
            rate_limits:
              - {requests: 2000, per: minute, scope: default}
            capabilities: [builds]
            pricing: usage-based (compute minutes)
            notes: API calls share the GitLab.com limit of the credential.
          - id: woodpecker
            name: Woodpecker CI
            kind: ci
            regions: [on-prem]
            self_hosted: true
            compliance: []
            rate_limits: []
            capabilities: [builds]
            pricing: free (self-hosted)
            notes: No API rate limit; capacity is the number of agents you run.
          - id: jenkins
            name: Jenkins
            kind: ci
            regions: [on-prem]
            self_hosted: true
            compliance: []
            rate_limits: []
            capabilities: [builds]
            pricing: free (self-hosted)
            notes: No API rate limit; capacity is the number of executors you run.

          # --- Knowledge bases ------------------------------------------------------------------
          - id: notion
            name: Notion
            kind: kb
            regions: [us]
            self_hosted: false
            compliance: [gdpr, soc2]
            rate_limits:
              - {requests: 3, per: second, scope: default}
            capabilities: [docs]
            pricing: per-seat plans
            notes: The API allows an average of 3 requests/second per integration; bursts are tolerated.
          - id: confluence
            name: Confluence
            kind: kb
            regions: [us, eu]
            self_hosted: false
            compliance: [gdpr, soc2]
            rate_limits: []
            capabilities: [docs]
            pricing: paid (per-user plans)
            notes: >-
              Atlassian Cloud limits API use by request cost rather than a published request count,
              so no fixed limit is listed.
          - id: bookstack
            name: BookStack
            kind: kb
            regions: [on-prem]
            self_hosted: true
            compliance: []
            rate_limits:
              - {requests: 180, per: minute, scope: default}
            capabilities: [docs]
            pricing: free (self-hosted)
            notes: The API limit is configurable (API_REQUESTS_PER_MIN); 180/minute is the default.
          - id: wikijs
            name: Wiki.js
            kind: kb
            regions: [on-prem]
            self_hosted: true
            compliance: []
            rate_limits: []
            capabilities: [docs]
            pricing: free (self-hosted)
            notes: No API rate limit by default.

          # --- Workflow engines -----------------------------------------------------------------
          - id: n8n
            name: n8n
            kind: workflow
            regions: [on-prem]
            self_hosted: true
            compliance: []
            rate_limits: []
            capabilities: [automation]
            pricing: free (self-hosted); cloud plans
            notes: Self-hostable; also offered as n8n Cloud. No API rate limit when self-hosted.
          - id: zapier
            name: Zapier
            kind: workflow
            regions: [us]
            self_hosted: false
            compliance: [gdpr, soc2]
            rate_limits: []
            capabilities: [automation]
            pricing: task-based plans
            notes: Usage is metered in tasks per plan rather than a published API request limit.
          - id: make
            name: Make
            kind: workflow
            regions: [eu, us]
            self_hosted: false
            compliance: [gdpr]
            rate_limits:
              - {requests: 60, per: minute, scope: default}
            capabilities: [automation]
            pricing: operation-based plans
            notes: API limit of the Core plan; higher plans allow 120 to 1,000 requests/minute.
        """
}
