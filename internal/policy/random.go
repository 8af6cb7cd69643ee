package policy

import "math/rand/v2"

// RandomFrame builds n rows of facts drawn near the shipped thresholds
// (incomes around the lines, water around its limits, some children out
// of school), deterministic for a seed. Tests and benchmarks use it.
func RandomFrame(n int, seed uint64) *Frame {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	f := NewFrame(n)
	pick := func(list string) string {
		codes := listCodes(list)
		return codes[rng.IntN(len(codes))]
	}
	for r := 0; r < n; r++ {
		row := f.AddRow(int64(r+1), "530627001001")
		for i, fc := range Facts {
			switch fc.Type {
			case Bool:
				f.SetBool(i, row, rng.IntN(10) != 0)
			case String:
				_ = f.SetString(i, row, pick(fc.List))
			default:
				f.SetInt(i, row, int64(rng.IntN(4)))
			}
		}
		f.SetInt(fPeriodYear, row, 2026)
		f.SetInt(fIdentified, row, int64(2014+rng.IntN(13)))
		f.SetInt(fIncomeYear, row, int64(2024+rng.IntN(2)))
		f.SetInt(fIncomeLine, row, 400000)
		f.SetInt(fPerCapita, row, int64(399998+rng.IntN(5)))
		if rng.IntN(2) == 0 {
			f.SetInt(fPerCapita, row, int64(rng.IntN(2000000)))
		}
		f.SetInt(fWaterLitresMin, row, 35)
		f.SetInt(fWaterLitres, row, int64(33+rng.IntN(5)))
		f.SetInt(fWaterMinutesMax, row, 20)
		f.SetInt(fWaterMinutes, row, int64(18+rng.IntN(5)))
		f.SetInt(fOutageMax, row, 36)
		f.SetInt(fWaterOutage, row, int64(34+rng.IntN(5)))
		f.SetInt(fNoMedical, row, int64(rng.IntN(8)/7))
		f.SetInt(fNoCritical, row, int64(rng.IntN(8)/7))
		f.SetInt(fOutOfSchool, row, int64(rng.IntN(10)/9))
	}
	return f
}

func listCodes(list string) []string {
	t := syms[FactIndex[listFact[list]]].table.Load()
	return t.names[1:]
}

// listFact maps a code list to a string fact that uses it.
var listFact = func() map[string]string {
	m := map[string]string{}
	for _, f := range Facts {
		if f.Type == String {
			m[f.List] = f.Name
		}
	}
	return m
}()
