import Foundation
import MosaicTestSupport
import Testing

/// The demo's per-provider costs agree to the last digit with an independent computation in
/// Python's `decimal` module from the same CSV and price file.
@Suite struct CostReconciliationTests {
    static let script = #"""
        import csv, json, math, sys
        from decimal import Decimal as D
        sample = sys.argv[1]
        p = json.load(open(sample + '/prices.json'), parse_float=D)
        prices = {}
        for k, v in p.items():
            prov = v['litellm_provider']
            prices[(prov, k[len(prov) + 1:] if k.startswith(prov + '/') else k)] = v
        tot = {}
        for r in csv.DictReader(open(sample + '/requests.csv')):
            v = prices[(r['provider'], r['model'])]
            i, o, c = int(r['input_tokens']), int(r['output_tokens']), int(r['cached_tokens'] or 0)
            pin = v.get('input_cost_per_token'); pout = v.get('output_cost_per_token')
            pc = v.get('cache_read_input_token_cost', pin)
            cost = D(0)
            if pin is not None: cost += pin * (i - c)
            if pc is not None: cost += pc * c
            if pout is not None: cost += pout * o
            if 'input_cost_per_request' in v: cost += v['input_cost_per_request']
            if 'cost_per_minute' in v: cost += v['cost_per_minute'] * math.ceil(D(r['latency_ms']) / 60000)
            tot[r['provider']] = tot.get(r['provider'], D(0)) + cost
        for k in sorted(tot):
            print(k, format(tot[k].normalize(), 'f') if tot[k] != 0 else '0')
        """#

    @Test(.enabled(if: Python.has("decimal"), "python3 is not installed; the independent reference needs it"))
    func demoCostsEqualPythonDecimal() throws {
        let tmp = TemporaryDirectory("reconcile")
        let demo = try MosaicBinary.run(["demo", "--days", "3", "--seed", "11", "--format", "json"], in: tmp.path)
        #expect(demo.status == 0, "stderr: \(demo.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(demo.stdout.utf8)) as? [[String: Any]])
        let mosaic = Dictionary(uniqueKeysWithValues: rows.map { ($0["provider"] as! String, $0["cost_usd"] as! String) })

        let python = try #require(Python.run(Self.script, arguments: [tmp.file("datasets/sample")]))
        #expect(python.status == 0, "python3 failed: \(python.stderr)")
        let text = python.stdout
        var reference: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            reference[String(parts[0])] = String(parts[1])
        }
        #expect(reference.count == 5)
        #expect(mosaic == reference)
    }
}
