package assess

import "testing"

// TestRateThresholds checks each exit threshold at, just below and just
// above its limit (DOMAIN.md §2): village incidence below 3% in the west
// (strictly), county incidence at most 3%, wrongful exits and missed at
// most 2%, approval at least 90%. Comparisons are exact, in integers.
func TestRateThresholds(t *testing.T) {
	cases := []struct {
		name     string
		num, den int64
		limitBP  int64
		rule     string
		ok       bool
	}{
		{"village incidence at 3%", 300, 10000, 300, "lt", false},
		{"village incidence just below", 299, 10000, 300, "lt", true},
		{"village incidence just above", 301, 10000, 300, "lt", false},
		{"county incidence at 3%", 3, 100, 300, "le", true},
		{"county incidence just below", 2999, 100000, 300, "le", true},
		{"county incidence just above", 3001, 100000, 300, "le", false},
		{"wrongful exits at 2%", 2, 100, 200, "le", true},
		{"wrongful exits just above", 201, 10000, 200, "le", false},
		{"missed at 2%", 20, 1000, 200, "le", true},
		{"missed just above", 2001, 100000, 200, "le", false},
		{"approval at 90%", 9, 10, 9000, "ge", true},
		{"approval just below", 8999, 10000, 9000, "ge", false},
		{"approval just above", 9001, 10000, 9000, "ge", true},
		// 1/3 is not a whole number of basis points: compared exactly,
		// 1 of 3 is above 33.33%.
		{"a third against 33.33%", 1, 3, 3333, "le", false},
	}
	for _, c := range cases {
		r := rate(c.num, c.den, c.limitBP, c.rule)
		if r == nil || r.OK != c.ok {
			t.Errorf("%s: %+v, want ok=%v", c.name, r, c.ok)
		}
	}
	if rate(0, 0, 200, "le") != nil {
		t.Error("no denominator must be no data, not zero")
	}
}
