// Package auth holds accounts' roles, what each role may do, area scope,
// and password hashing (argon2id).
package auth

import "strings"

// Roles a user can hold.
const (
	CountyAdmin     = "county_admin"
	TownshipOfficer = "township_officer"
	VillageCadre    = "village_cadre"
	PairedCadre     = "paired_cadre"
	Verifier        = "verifier"
	Inspector       = "inspector"
	Viewer          = "viewer"
)

// Roles lists every role in order of reach.
var Roles = []string{CountyAdmin, TownshipOfficer, VillageCadre, PairedCadre, Verifier, Inspector, Viewer}

// ValidRole reports whether r is a known role.
func ValidRole(r string) bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Principal is who is acting: a signed-in user, or the system itself for
// command-line jobs. Area is a division-code prefix; every store query
// is limited to codes starting with it.
type Principal struct {
	UserID   int64  `json:"id"`
	Username string `json:"username"`
	Role     string `json:"role"`
	Area     string `json:"area"`
}

// System is the principal of command-line jobs run by the operator of the
// machine (import, demo): all areas, all rights.
func System(name string) Principal {
	return Principal{Username: name, Role: CountyAdmin, Area: ""}
}

// InScope reports whether a division code lies inside the principal's area.
func (p Principal) InScope(code string) bool {
	return strings.HasPrefix(code, p.Area)
}

// ScopeRange returns the half-open range [lo, hi) of codes under the
// principal's area, so a query can use an index: codes are digits and ':'
// sorts right after '9' in byte order (and in PostgreSQL's "C" collation).
func (p Principal) ScopeRange() (lo, hi string) {
	return AreaRange(p.Area)
}

// AreaRange returns the half-open code range under a prefix.
func AreaRange(prefix string) (lo, hi string) {
	return prefix, prefix + ":"
}

// SeesPersonal reports whether the role may see ID numbers, phone numbers
// and bank accounts whole. Viewers and discipline inspectors get masked
// values; inspectors find duplicates through dedicated checks instead.
func (p Principal) SeesPersonal() bool {
	switch p.Role {
	case CountyAdmin, TownshipOfficer, VillageCadre, PairedCadre, Verifier:
		return true
	}
	return false
}

// CanEditRegistry reports whether the role may create or change
// households, members, cadres and pairings.
func (p Principal) CanEditRegistry() bool {
	switch p.Role {
	case CountyAdmin, TownshipOfficer, VillageCadre:
		return true
	}
	return false
}

// CanVisit reports whether the role may record visits (走访): the paired
// cadre first of all, and the village and township officers and the
// county office.
func (p Principal) CanVisit() bool {
	switch p.Role {
	case CountyAdmin, TownshipOfficer, VillageCadre, PairedCadre:
		return true
	}
	return false
}

// CanImport reports whether the role may import registry files.
func (p Principal) CanImport() bool { return p.Role == CountyAdmin }

// CanEditPolicy reports whether the role may change rule sets and
// parameters: the county office only.
func (p Principal) CanEditPolicy() bool { return p.Role == CountyAdmin }

// CanVerify reports whether the role may record verification samples and
// surveys (抽查, 群众认可度).
func (p Principal) CanVerify() bool { return p.Role == CountyAdmin || p.Role == Verifier }

// CanHoldAccountable reports whether the role may open, investigate and
// decide accountability cases (追责问责): the discipline inspector and
// the county office.
func (p Principal) CanHoldAccountable() bool { return p.Role == Inspector || p.Role == CountyAdmin }

// CanDecideTolerance reports whether the role may decide a tolerance
// request (容错纠错): the discipline inspector alone, so the office that
// opened a case does not also excuse it.
func (p Principal) CanDecideTolerance() bool { return p.Role == Inspector }
