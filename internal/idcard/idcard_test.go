package idcard

import (
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)

func TestCheckCharKnownNumbers(t *testing.T) {
	// The worked example in GB 11643-1999 Appendix A: 11010519491231002X.
	if got := CheckChar("11010519491231002"); got != 'X' {
		t.Fatalf("check char of the standard's example = %c, want X", got)
	}
	// 440524188001010014 is the other example printed in the standard.
	if got := CheckChar("44052418800101001"); got != '4' {
		t.Fatalf("check char = %c, want 4", got)
	}
}

func TestParse(t *testing.T) {
	good := Build("530627", time.Date(1985, 3, 7, 0, 0, 0, 0, time.UTC), 123)
	tests := []struct {
		name string
		in   string
		want Problem
	}{
		{"valid", good, OK},
		{"valid with lower x", "11010519491231002x", OK},
		{"valid with spaces and apostrophe", " '" + good + " ", OK},
		{"full-width digits", toFullWidth(good), OK},
		{"empty", "  ", Empty},
		{"scientific", "5.30627E+17", Scientific},
		{"scientific lower", "5.30627198503071e17", Scientific},
		{"trailing .0", good[:17] + ".0", DigitsLost},
		{"excel lost digits", good[:15] + "000", DigitsLost},
		{"wrong check", good[:17] + wrongCheck(good[17]), Checksum},
		{"short", good[:17], Length},
		{"long", good + "1", Length},
		{"letters", "53062719850307A12X", Characters},
		{"X in the middle", "5306271985030X1234", Characters},
		{"Feb 30", withCheck("530627" + "19850230" + "123"), BirthDate},
		{"future", withCheck("530627" + "20300101" + "123"), BirthDate},
		{"before 1900", withCheck("530627" + "18991231" + "123"), BirthDate},
		{"legacy 15", "530627850307123", OK},
		{"legacy bad date", "530627851332123", BirthDate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, p := Parse(tc.in, now)
			if p != tc.want {
				t.Fatalf("Parse(%q) problem = %q, want %q", tc.in, p, tc.want)
			}
		})
	}
}

func TestLegacyConversion(t *testing.T) {
	n, p := Parse("530627850307123", now)
	if p != OK {
		t.Fatal(p)
	}
	if !n.Legacy || n.Text != withCheck("53062719850307123") || !n.Male {
		t.Fatalf("got %+v", n)
	}
	if n.Birth != time.Date(1985, 3, 7, 0, 0, 0, 0, time.UTC) {
		t.Fatalf("birth %v", n.Birth)
	}
}

func TestSex(t *testing.T) {
	male, _ := Parse(Build("530627", time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC), 11), now)
	female, _ := Parse(Build("530627", time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC), 12), now)
	if !male.Male || female.Male {
		t.Fatal("sequence parity not read as sex")
	}
	if male.CheckSex(false) != SexMismatch || male.CheckSex(true) != OK {
		t.Fatal("CheckSex wrong")
	}
}

func TestMask(t *testing.T) {
	if got := Mask("53062719850307123X"); got != "530627********123X" {
		t.Fatal(got)
	}
	if got := Mask("123"); got != "***" {
		t.Fatal(got)
	}
}

func withCheck(first17 string) string {
	c := CheckChar(first17)
	if c == 0 {
		return first17 + "0"
	}
	return first17 + string(c)
}

func wrongCheck(c byte) string {
	if c == '1' {
		return "2"
	}
	return "1"
}

func toFullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune('０' + (r - '0'))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// FuzzParse checks that Parse never panics, that whatever it accepts is a
// canonical 18-character number that parses again to itself, and that the
// check character of an accepted number is right.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"11010519491231002X", "530627850307123", "5.30627E+17", "", "０", "53062719850307123000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, p := Parse(s, now)
		if p != OK {
			if n.Text != "" {
				t.Fatalf("refused %q but returned %q", s, n.Text)
			}
			return
		}
		if len(n.Text) != 18 || CheckChar(n.Text[:17]) != n.Text[17] {
			t.Fatalf("accepted %q as %q", s, n.Text)
		}
		again, p2 := Parse(n.Text, now)
		if p2 != OK || again.Text != n.Text {
			t.Fatalf("canonical %q does not parse to itself: %q %q", n.Text, again.Text, p2)
		}
	})
}
