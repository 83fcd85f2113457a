/// One untrusted input of Mosaic: a file a user hands to a command, a page a provider API
/// answers, or a body a client posts to `mosaic serve`.
///
/// Each target feeds its bytes to the same public entry point the product uses for that input
/// (see ``FuzzHarness/run(_:_:)``). The libFuzzer driver in `Fuzz/Driver` (built by `scripts/fuzz`) calls it millions of times;
/// `MosaicFuzzTests` replays every file of `Fuzz/Corpus/<target>/` through it in `swift test`.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// Mosaic's native request-log CSV (`mosaic ingest requests`).
    case requestsCSV = "requests-csv"
    /// Mosaic's native request-log JSON Lines.
    case requestsJSONL = "requests-jsonl"
    /// The Azure LLM inference trace (CSV).
    case traceAzure = "trace-azure"
    /// BurstGPT (CSV).
    case traceBurstGPT = "trace-burstgpt"
    /// Mooncake (JSON Lines).
    case traceMooncake = "trace-mooncake"
    /// A series file (`mosaic forecast --series`): CSV in any of its shapes (dates as locales
    /// write them, decimal commas, a date and an hour), or JSON (records, pairs, Prometheus).
    case series
    /// A FOCUS billing export (`mosaic ingest focus`), ingested into a scratch store.
    case focus
    /// LiteLLM's `model_prices_and_context_window.json` (`mosaic prices import`).
    case litellmPrices = "litellm-prices"
    /// One page of a provider usage or cost API, read by every provider page parser.
    case providerPages = "provider-pages"
    /// A provider catalog YAML file.
    case catalog
    /// A routing policy YAML file.
    case policy
    /// A simulation scenario YAML file.
    case scenario
    /// A gateway YAML file (`mosaic serve --gateway`), with `FUZZ_KEY` set in its environment.
    case gateway
    /// A `POST /v1/route` body, through the server's JSON scanner and request decoding.
    case serveRoute = "serve-route"
    /// A `POST /v1/outcome` body; `$ID` in the input becomes the id of a live decision.
    case serveOutcome = "serve-outcome"
    /// A routing model file, loaded as `mosaic serve` loads it and then asked for a decision.
    case model
}
