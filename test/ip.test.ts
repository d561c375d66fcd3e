import * as assert from "assert";
import { overlaps, parseCidr } from "../components/ip";

describe("components/ip", () => {
    it("overlaps() compares IPv4 ranges", () => {
        const cases: [string, string, boolean][] = [
            ["10.10.10.0/24", "10.10.0.0/16", true],
            ["10.10.10.0/24", "10.10.11.0/24", false],
            ["172.18.0.0/16", "10.10.10.0/24", false],
            ["192.168.1.0/24", "192.168.1.128/25", true],
        ];
        for (const [a, b, want] of cases) {
            assert.strictEqual(overlaps(parseCidr(a)!, parseCidr(b)!), want, `${a} ${b}`);
        }
    });
});
