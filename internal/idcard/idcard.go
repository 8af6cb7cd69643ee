// Package idcard validates citizen identity numbers (公民身份号码) as defined
// by GB 11643-1999: 6 address digits, 8 birth-date digits, a 3-digit
// sequence whose parity gives the sex, and an ISO 7064 MOD 11-2 check
// character. It also recognises the 15-digit numbers issued before 1999 and
// the damage spreadsheets do to long numbers.
package idcard

import (
	"strings"
	"time"
)

// Problem is the reason a number was refused; each value is also the
// suffix of a message key ("id." + string(p)) translated at the edge.
type Problem string

// Problems an identity number can have, in the order they are checked.
const (
	OK           Problem = ""
	Empty        Problem = "empty"
	Scientific   Problem = "scientific"   // Excel wrote it as 5.30627E+17
	DigitsLost   Problem = "digits_lost"  // Excel kept 15 significant digits and padded with zeros
	Length       Problem = "length"       // neither 15 nor 18 characters
	Characters   Problem = "characters"   // non-digits where digits must be
	BirthDate    Problem = "birth_date"   // no such date, or in the future, or before 1900
	Checksum     Problem = "checksum"     // check character does not match
	SexMismatch  Problem = "sex_mismatch" // sequence parity disagrees with the recorded sex
	AreaNotFound Problem = "area_unknown" // reserved for callers that check the address code
)

// weights are 2^(17-i) mod 11 for positions 0..16 (GB 11643-1999, 5.2).
var weights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// checkChars maps the weighted sum mod 11 to the check character.
const checkChars = "10X98765432"

// Number is a validated 18-character identity number.
type Number struct {
	Text    string    // the canonical 18-character form, upper-case X
	Birth   time.Time // birth date at UTC midnight
	Male    bool      // odd sequence digit
	Legacy  bool      // converted from a 15-digit number
	Address string    // first six digits
}

// CheckChar computes the check character for the first 17 digits.
// It returns 0 when the input is not 17 ASCII digits.
func CheckChar(first17 string) byte {
	if len(first17) != 17 {
		return 0
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := first17[i]
		if c < '0' || c > '9' {
			return 0
		}
		sum += int(c-'0') * weights[i]
	}
	return checkChars[sum%11]
}

// Clean trims what people and spreadsheets add around a number: spaces,
// a leading apostrophe (Excel's text marker), full-width digits and a
// lower-case x.
func Clean(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "'")
	s = strings.TrimPrefix(s, "\t")
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= '０' && r <= '９':
			b.WriteByte(byte('0' + (r - '０')))
		case r == 'x' || r == 'Ｘ' || r == 'ｘ':
			b.WriteByte('X')
		case r == ' ' || r == '\u00a0' || r == '\u3000':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Parse validates s (after Clean) and returns the canonical number. now
// bounds the birth date: nobody is born in the future. A 15-digit legacy
// number is converted to its 18-digit form.
func Parse(s string, now time.Time) (Number, Problem) {
	s = Clean(s)
	if s == "" {
		return Number{}, Empty
	}
	if looksScientific(s) {
		return Number{}, Scientific
	}
	if strings.HasSuffix(s, ".0") || strings.HasSuffix(s, ".00") {
		return Number{}, DigitsLost
	}
	switch len(s) {
	case 15:
		if !allDigits(s) {
			return Number{}, Characters
		}
		first17 := s[:6] + "19" + s[6:15]
		n, p := parse18(first17+string(CheckChar(first17)), now)
		n.Legacy = true
		return n, p
	case 18:
		if !allDigits(s[:17]) || !(isDigit(s[17]) || s[17] == 'X') {
			return Number{}, Characters
		}
		n, p := parse18(s, now)
		if p == Checksum && strings.HasSuffix(s, "000") {
			// Excel keeps 15 significant digits: an 18-digit number typed
			// into a numeric cell comes back with its last three digits
			// replaced by zeros, which almost never passes the check.
			return Number{}, DigitsLost
		}
		return n, p
	default:
		if allDigits(s) && len(s) > 15 && len(s) < 18 {
			return Number{}, Length
		}
		return Number{}, Length
	}
}

func parse18(s string, now time.Time) (Number, Problem) {
	birth, err := time.Parse("20060102", s[6:14])
	if err != nil || birth.Year() < 1900 || birth.After(now) {
		return Number{}, BirthDate
	}
	if CheckChar(s[:17]) != s[17] {
		return Number{}, Checksum
	}
	return Number{
		Text:    s,
		Birth:   birth,
		Male:    (s[16]-'0')%2 == 1,
		Address: s[:6],
	}, OK
}

// CheckSex reports SexMismatch when the recorded sex disagrees with the
// number's sequence digit. male is the recorded sex.
func (n Number) CheckSex(male bool) Problem {
	if n.Male != male {
		return SexMismatch
	}
	return OK
}

func looksScientific(s string) bool {
	if !strings.ContainsAny(s, "Ee") {
		return false
	}
	// 5.30627E+17, 5.30627199001011e17
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isDigit(c) || c == '.' || c == 'E' || c == 'e' || c == '+' || c == '-') {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// Mask hides the middle of an identity number for roles that must not see
// it whole: the address and the last four characters stay.
func Mask(s string) string {
	if len(s) < 10 {
		return strings.Repeat("*", len(s))
	}
	return s[:6] + strings.Repeat("*", len(s)-10) + s[len(s)-4:]
}

// Build makes a valid 18-character number from its parts; the demo
// generator and tests use it. seq is 0..999; its parity sets the sex.
func Build(address string, birth time.Time, seq int) string {
	first17 := address + birth.Format("20060102") + pad3(seq)
	return first17 + string(CheckChar(first17))
}

func pad3(n int) string {
	b := []byte{'0', '0', '0'}
	for i := 2; i >= 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b)
}
