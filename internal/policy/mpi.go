package policy

import (
	"math/big"
	"math/bits"
	"sort"
	"strconv"
)

// MaskGroup counts the households of one area sharing one deprivation
// mask (bit i set: deprived in indicator i).
type MaskGroup struct {
	Area       string
	Mask       uint64
	Households int64
	Persons    int64
}

// MPIIndicator is one indicator's part of the measure.
type MPIIndicator struct {
	Code              string  `json:"code"`
	Indicator         string  `json:"indicator"`
	Weight            string  `json:"weight"` // exact, as "3/18"
	UncensoredPersons int64   `json:"uncensored_persons"`
	CensoredPersons   int64   `json:"censored_persons"`
	Uncensored        float64 `json:"uncensored"` // share of all persons deprived
	Censored          float64 `json:"censored"`   // share of all persons poor and deprived
	Contribution      float64 `json:"contribution"`
}

// MPI is the Alkire–Foster measure of a population. Persons are the unit:
// a household's deprivations count for each of its living members.
type MPI struct {
	Area              string         `json:"area"`
	K                 string         `json:"k"`
	Households        int64          `json:"households"`
	Persons           int64          `json:"persons"`
	PoorHouseholds    int64          `json:"poor_households"`
	PoorPersons       int64          `json:"poor_persons"`
	H                 float64        `json:"H"`
	A                 float64        `json:"A"`
	M0                float64        `json:"M0"`
	VulnerablePersons int64          `json:"vulnerable_persons"`
	SeverePersons     int64          `json:"severe_persons"`
	Vulnerable        float64        `json:"vulnerable"`
	Severe            float64        `json:"severe"`
	Indicators        []MPIIndicator `json:"indicators"`
	SubAreas          []MPI          `json:"sub_areas,omitempty"`
}

// atLeast reports whether units/den ≥ r, exactly.
func atLeast(units, den int64, r *big.Rat) bool {
	// units/den ≥ a/b  ⇔  units·b ≥ a·den (all positive).
	lhs := new(big.Int).Mul(big.NewInt(units), r.Denom())
	rhs := new(big.Int).Mul(r.Num(), big.NewInt(den))
	return lhs.Cmp(rhs) >= 0
}

func share(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// ComputeMPI measures groups under the deprivation set rs with poverty
// cutoff k (a household is poor when its weighted score is at least k).
// Sub-areas are the distinct Area values of the groups, in order.
func ComputeMPI(rs *RuleSet, k *big.Rat, area string, groups []MaskGroup) MPI {
	out := computeMPI(rs, k, area, groups)
	byArea := map[string][]MaskGroup{}
	var areas []string
	for _, g := range groups {
		if _, ok := byArea[g.Area]; !ok {
			areas = append(areas, g.Area)
		}
		byArea[g.Area] = append(byArea[g.Area], g)
	}
	sort.Strings(areas)
	for _, a := range areas {
		out.SubAreas = append(out.SubAreas, computeMPI(rs, k, a, byArea[a]))
	}
	return out
}

func computeMPI(rs *RuleSet, k *big.Rat, area string, groups []MaskGroup) MPI {
	den := int64(rs.Denominator)
	vul, _ := ParseFraction(rs.Vulnerable)
	sev, _ := ParseFraction(rs.Severe)
	m := MPI{Area: area, K: k.RatString()}
	unc := make([]int64, len(rs.Rules))
	cen := make([]int64, len(rs.Rules))
	// scoreSum is Σ persons·units over the poor; M0 = scoreSum/(n·den).
	var scoreSum int64
	for _, g := range groups {
		var units int64
		for mask := g.Mask; mask != 0; mask &= mask - 1 {
			i := bits.TrailingZeros64(mask)
			if i < len(rs.Rules) {
				units += int64(rs.Rules[i].Weight)
			}
		}
		m.Households += g.Households
		m.Persons += g.Persons
		poor := units > 0 && atLeast(units, den, k)
		for i := range rs.Rules {
			if g.Mask&(1<<i) != 0 {
				unc[i] += g.Persons
				if poor {
					cen[i] += g.Persons
				}
			}
		}
		switch {
		case poor:
			m.PoorHouseholds += g.Households
			m.PoorPersons += g.Persons
			scoreSum += g.Persons * units
			if sev != nil && atLeast(units, den, sev) {
				m.SeverePersons += g.Persons
			}
		case vul != nil && units > 0 && atLeast(units, den, vul):
			m.VulnerablePersons += g.Persons
		}
	}
	m.H = share(m.PoorPersons, m.Persons)
	m.A = share(scoreSum, m.PoorPersons*den)
	m.M0 = share(scoreSum, m.Persons*den)
	m.Vulnerable = share(m.VulnerablePersons, m.Persons)
	m.Severe = share(m.SeverePersons, m.Persons)
	for i, r := range rs.Rules {
		ind := MPIIndicator{Code: r.Code, Indicator: r.Indicator,
			Weight:            strconv.Itoa(r.Weight) + "/" + strconv.FormatInt(den, 10),
			UncensoredPersons: unc[i], CensoredPersons: cen[i],
			Uncensored: share(unc[i], m.Persons), Censored: share(cen[i], m.Persons)}
		// Contribution w_j·h_j(k)/M0 = weight·censored persons / scoreSum.
		ind.Contribution = share(int64(r.Weight)*cen[i], scoreSum)
		m.Indicators = append(m.Indicators, ind)
	}
	return m
}
