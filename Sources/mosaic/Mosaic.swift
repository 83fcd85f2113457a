import ArgumentParser

/// The `mosaic` command: it only lists subcommands; each lives in its own file.
@main
struct Mosaic: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mosaic",
        abstract: "Cost, speed and reliability of your service providers, and how to route among them.",
        discussion: """
            Mosaic keeps one SQLite store (--db, default ./mosaic.sqlite or $MOSAIC_DB) that every \
            stage reads and writes: ingest request logs and price tables, then summarise them.

            New here? Run `mosaic demo`: it generates two weeks of sample traffic, ingests it and \
            prints what each provider cost and how fast it was.
            """,
        version: "0.1.0",
        subcommands: [
            DemoCommand.self,
            GenerateCommand.self,
            IngestCommand.self,
            CostsCommand.self,
            SeriesCommand.self,
            TrainCommand.self,
            ForecastCommand.self,
            AnomaliesCommand.self,
            EvalCommand.self,
            ModelsCommand.self,
            PolicyCommand.self,
            RouteCommand.self,
            ServeCommand.self,
            SimulateCommand.self,
            ReportCommand.self,
            PricesCommand.self,
            CatalogCommand.self,
            DBCommand.self,
        ]
    )
}
