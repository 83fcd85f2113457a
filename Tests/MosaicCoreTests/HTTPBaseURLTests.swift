import Foundation
import MosaicCore
import Testing

@Suite("HTTPBaseURL")
struct HTTPBaseURLTests {
    @Test func takesHTTPAddressesWithAHostAndAPortThatFitsSixteenBits() throws {
        #expect(try HTTPBaseURL.parse("https://api.openai.com/v1").host == "api.openai.com")
        #expect(try HTTPBaseURL.parse("http://127.0.0.1:65535").port == 65_535)
        #expect(try HTTPBaseURL.parse("HTTP://localhost:1/v1").port == 1)
    }

    /// SwiftNIO traps on a port past 16 bits when AsyncHTTPClient connects, so such a port must
    /// be refused here, before a request is made.
    @Test(arguments: [
        ("http://127.0.0.1:99999/v1", HTTPBaseURL.Problem.port("http://127.0.0.1:99999/v1", 99_999)),
        ("http://127.0.0.1:65536", .port("http://127.0.0.1:65536", 65_536)),
        ("http://127.0.0.1:0", .port("http://127.0.0.1:0", 0)),
        ("ftp://x/v1", .notHTTP("ftp://x/v1")),
        ("http://", .notHTTP("http://")),
        ("not a url", .notHTTP("not a url")),
    ])
    func refuses(_ text: String, _ problem: HTTPBaseURL.Problem) {
        #expect(throws: problem) { try HTTPBaseURL.parse(text) }
    }

    @Test func theMessageNamesTheTextAndThePortsThatWork() {
        #expect(HTTPBaseURL.Problem.port("http://h:99999", 99_999).description
            == "'http://h:99999' has port 99999; a port is a number from 1 to 65535")
    }
}
