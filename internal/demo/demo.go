// Package demo generates a realistic, deterministic demo county on the
// real Zhenxiong divisions: households with members, valid ID numbers,
// causes, incomes around the line, housing, water, schooling, health and
// labour, and cadres paired to households with some changed pairings. The
// same seed gives the same county, so benchmarks and demos are repeatable.
package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"tuopin/internal/division"
	"tuopin/internal/idcard"
	"tuopin/internal/registry"
)

// Generator makes households one at a time.
type Generator struct {
	rng      *rand.Rand
	villages []division.Division
	towns    []division.Division
	now      time.Time
	seq      map[string]int // next household sequence per village
	usedIDs  map[string]bool
	n        int
}

// New returns a generator for the county's villages, seeded by seed. now
// is "today" for ages and years.
func New(tab *division.Table, county string, seed uint64, now time.Time) *Generator {
	return &Generator{
		rng:      rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		villages: tab.Villages(county),
		towns:    tab.Children(county),
		now:      now,
		seq:      map[string]int{},
		usedIDs:  map[string]bool{},
	}
}

// pick returns an index drawn with the given weights.
func (g *Generator) pick(weights ...int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	r := g.rng.IntN(total)
	for i, w := range weights {
		if r < w {
			return i
		}
		r -= w
	}
	return len(weights) - 1
}

func (g *Generator) chance(pct float64) bool { return g.rng.Float64()*100 < pct }

// Surnames common in north-east Yunnan, most frequent first.
var surnames = []string{"王", "陈", "李", "张", "刘", "杨", "罗", "周", "赵", "吴", "黄", "朱", "胡", "熊", "邓", "徐", "何", "孙", "高", "马", "蒋", "田", "丁", "谢", "余", "彭", "龙", "申", "肖", "邹"}

var givenChars = []string{"国", "华", "明", "军", "平", "英", "文", "芳", "兰", "强", "勇", "德", "福", "贵", "秀", "春", "梅", "丽", "红", "成", "永", "海", "林", "学", "光", "云", "志", "洪", "发", "宇", "涛", "琴", "燕", "霞", "敏", "超", "鹏", "磊", "娟", "兵"}

var ethnicities = []string{"汉族", "彝族", "苗族", "回族"}

var units = []struct{ name, level string }{
	{"镇雄县教育体育局", "county"}, {"镇雄县卫生健康局", "county"}, {"镇雄县农业农村局", "county"},
	{"镇雄县人力资源和社会保障局", "county"}, {"镇雄县住房和城乡建设局", "county"}, {"镇雄县水务局", "county"},
	{"镇雄县财政局", "county"}, {"镇雄县乡村振兴局", "county"}, {"昭通市直单位", "city"}, {"云南省直单位", "province"},
}

func (g *Generator) name(surname string) string {
	n := surname + givenChars[g.rng.IntN(len(givenChars))]
	if g.chance(75) {
		n += givenChars[g.rng.IntN(len(givenChars))]
	}
	return n
}

func (g *Generator) phone() string {
	return "1" + strconv.Itoa(3+g.rng.IntN(7)) + fmt.Sprintf("%09d", g.rng.IntN(1_000_000_000))
}

// idNumber makes a valid, unused ID number for someone born on birth.
func (g *Generator) idNumber(birth time.Time, male bool) string {
	addr := division.Zhenxiong
	if g.chance(5) {
		addr = "530621" // 鲁甸县: some members married in from nearby counties
	}
	for {
		seq := g.rng.IntN(500) * 2
		if male {
			seq++
		}
		id := idcard.Build(addr, birth, seq)
		if !g.usedIDs[id] {
			g.usedIDs[id] = true
			return id
		}
	}
}

func (g *Generator) birth(age int) time.Time {
	y := g.now.Year() - age
	d := g.rng.IntN(365)
	b := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d)
	if b.After(g.now) {
		b = b.AddDate(-1, 0, 0)
	}
	return b
}

func ageOn(birth, now time.Time) int {
	a := now.Year() - birth.Year()
	if now.YearDay() < birth.YearDay() {
		a--
	}
	return a
}

// Household returns the next household.
func (g *Generator) Household() registry.Household {
	g.n++
	v := g.villages[g.rng.IntN(len(g.villages))]
	g.seq[v.Code]++
	size := 1 + g.pick(8, 14, 18, 22, 18, 12, 5, 3)
	h := registry.Household{
		Number:           v.Code + fmt.Sprintf("%04d", g.seq[v.Code]),
		VillageCode:      v.Code,
		County:           v.Code[:6],
		Group:            strconv.Itoa(1+g.rng.IntN(12)) + "组",
		Standard:         []string{"national", "province", "city"}[g.pick(90, 8, 2)],
		Attribute:        []string{"general", "dibao", "tekun"}[g.pick(80, 17, 3)],
		MainCause:        registry.Lists["cause"][g.pick(20, 8, 10, 2, 5, 3, 20, 10, 12, 5, 4, 1)],
		Status:           []string{"exited", "pre_exit", "poor", "returned", "non_poor"}[g.pick(89, 3, 3, 2, 3)],
		IdentifiedYear:   2014 + g.pick(60, 10, 12, 8, 6, 4),
		FoodSecure:       !g.chance(1),
		ClothingSecure:   !g.chance(1),
		HousingArea:      float64(40+g.rng.IntN(120)) + float64(g.rng.IntN(10))/10,
		HousingStructure: []string{"steel_concrete", "brick_concrete", "brick_wood", "earth_wood", "wood"}[g.pick(15, 55, 15, 12, 3)],
		HousingGrade:     []string{"A", "B", "C", "D"}[g.pick(40, 52, 6, 2)],
		Relocation:       []string{"none", "centralised", "dispersed"}[g.pick(87, 10, 3)],
		Electricity:      !g.chance(0.5),
		CookingFuel:      []string{"electricity", "firewood", "coal", "gas", "biogas"}[g.pick(45, 25, 20, 8, 2)],
		LandMu:           math.Round(g.rng.Float64()*60) / 10,
		HasCar:           g.chance(2),
		HasTownHouse:     g.chance(1),
		HasBusiness:      g.chance(1),
		// MPI living standards: most have a sanitary toilet and a few
		// durable goods; child deaths are rare.
		ImprovedSanitation: !g.chance(15),
		Assets:             g.pick(8, 14, 22, 24, 16, 10, 6),
		ChildDeaths:        g.pick(99, 1),
		Phone:              g.phone(),
		BankAccount:        "6217" + fmt.Sprintf("%015d", g.rng.Int64N(1_000_000_000_000_000)),
		OtherCauses:        []string{},
	}
	h.HousingYear = 1975 + g.rng.IntN(g.now.Year()-1975)
	if h.Relocation != "none" {
		h.HousingGrade, h.HousingStructure, h.HousingYear = "A", "brick_concrete", 2017+g.rng.IntN(4)
	}
	for i := 0; i < g.pick(50, 35, 15); i++ {
		c := registry.Lists["cause"][g.rng.IntN(11)]
		if c != h.MainCause && !slices.Contains(h.OtherCauses, c) {
			h.OtherCauses = append(h.OtherCauses, c)
		}
	}
	if h.Status == "exited" || h.Status == "returned" {
		h.ExitYear = max(h.IdentifiedYear+1, 2016+g.pick(10, 20, 30, 25, 15))
	}
	// Water (饮水安全): most have piped water; a few fall short on one of
	// the four indicators.
	h.WaterSource = registry.Lists["water_source"][g.pick(85, 8, 3, 1, 3, 0)+0]
	h.WaterLitres = 35 + g.rng.IntN(90)
	if g.chance(4) {
		h.WaterLitres = 15 + g.rng.IntN(20)
	}
	h.WaterQuality = []string{"tested", "basic", "failed", "unknown"}[g.pick(70, 27, 1, 2)]
	if h.WaterSource != "tap" {
		h.WaterMinutes = 5 + g.rng.IntN(30)
	}
	h.WaterOutageDays = g.rng.IntN(30)
	if g.chance(3) {
		h.WaterOutageDays = 37 + g.rng.IntN(30)
	}

	if h.Status == "non_poor" {
		h.ExitYear = 0
	}
	h.Members = g.members(&h, size)
	for i := range h.Members {
		h.Members[i].Undernourished = g.chance(2)
	}
	h.HeadName = h.Members[0].Name
	h.Incomes = g.incomes(&h)
	return h
}

func (g *Generator) members(h *registry.Household, size int) []registry.Member {
	surname := surnames[min(g.rng.IntN(len(surnames)), g.rng.IntN(len(surnames)))]
	eth := ethnicities[g.pick(85, 8, 5, 2)]
	headAge := 28 + g.rng.IntN(50)
	if h.Attribute == "tekun" {
		headAge = 60 + g.rng.IntN(25)
		size = 1
	}
	var ms []registry.Member
	add := func(rel string, age int, male bool, name string) {
		b := g.birth(age)
		m := registry.Member{
			Name: name, Relation: rel, IDNumber: g.idNumber(b, male), BirthDate: b.Format("2006-01-02"),
			Ethnicity: eth, MedicalInsurance: !g.chance(1), CriticalInsurance: !g.chance(2),
		}
		m.Sex = "F"
		if male {
			m.Sex = "M"
		}
		g.fillPerson(&m, ageOn(b, g.now), h)
		ms = append(ms, m)
	}
	headMale := g.chance(85)
	add("head", headAge, headMale, g.name(surname))
	left := size - 1
	if left > 0 && headAge < 75 && g.chance(80) {
		add("spouse", max(20, headAge+g.rng.IntN(9)-4), !headMale, g.name(surnames[g.rng.IntN(len(surnames))]))
		left--
	}
	if left > 0 && headAge < 50 && g.chance(30) {
		add([]string{"father", "mother"}[g.rng.IntN(2)], headAge+22+g.rng.IntN(10), g.chance(45), g.name(surname))
		left--
	}
	for ; left > 0; left-- {
		childAge := max(0, headAge-20-g.rng.IntN(18))
		if headAge > 55 && g.chance(50) {
			male := g.chance(52)
			rel := "granddaughter"
			if male {
				rel = "grandson"
			}
			add(rel, g.rng.IntN(16), male, g.name(surname))
			continue
		}
		male := g.chance(52)
		rel := "daughter"
		if male {
			rel = "son"
		}
		add(rel, childAge, male, g.name(surname))
	}
	if h.MainCause == "illness" && !hasHealth(ms, "chronic", "serious") {
		ms[g.rng.IntN(len(ms))].Health = []string{"chronic", "serious"}[g.rng.IntN(2)]
	}
	if h.MainCause == "disability" && !hasHealth(ms, "disabled") {
		i := g.rng.IntN(len(ms))
		ms[i].Health, ms[i].Labour = "disabled", "lost"
		ms[i].DisabilityCert = ms[i].IDNumber + "4" + strconv.Itoa(1+g.rng.IntN(4))
	}
	return ms
}

func hasHealth(ms []registry.Member, hs ...string) bool {
	for _, m := range ms {
		if slices.Contains(hs, m.Health) {
			return true
		}
	}
	return false
}

// fillPerson sets schooling, health, labour and insurance by age.
func (g *Generator) fillPerson(m *registry.Member, age int, h *registry.Household) {
	m.Health = []string{"healthy", "chronic", "serious", "disabled"}[g.pick(80, 13, 3, 4)]
	if age > 60 && m.Health == "healthy" && g.chance(30) {
		m.Health = "chronic"
	}
	if m.Health == "disabled" {
		m.DisabilityCert = m.IDNumber + "4" + strconv.Itoa(1+g.rng.IntN(4))
	}
	switch {
	case age < 3:
		m.Education, m.StudentStatus, m.Labour = "none", "not_student", "none"
	case age < 6:
		m.Education, m.StudentStatus, m.Labour = "preschool", "preschool", "none"
	case age <= 15:
		m.Labour = "none"
		switch g.pick(96, 1, 3) {
		case 0:
			if age <= 12 {
				m.StudentStatus, m.Education = "primary", "primary"
			} else {
				m.StudentStatus, m.Education = "junior", "primary"
			}
		case 1:
			m.StudentStatus, m.Education = "home_teaching", "primary"
		default:
			m.StudentStatus, m.Education = "dropped_out", "primary"
		}
	case age <= 18 && g.chance(70):
		m.StudentStatus, m.Education, m.Labour = []string{"senior", "vocational"}[g.rng.IntN(2)], "junior", "none"
	default:
		m.StudentStatus = "not_student"
		m.Education = []string{"none", "primary", "junior", "senior", "vocational", "college"}[g.pick(15, 40, 33, 7, 3, 2)]
		m.Labour = []string{"ordinary", "skilled"}[g.pick(85, 15)]
		if age > 65 {
			m.Labour = []string{"none", "ordinary"}[g.pick(60, 40)]
		}
		if m.Health == "serious" || m.Health == "disabled" {
			m.Labour = []string{"lost", "none"}[g.pick(60, 40)]
		}
		if m.Labour == "ordinary" || m.Labour == "skilled" {
			if g.chance(45) {
				m.MigrantMonths = 3 + g.rng.IntN(10)
			}
		}
		m.PensionInsurance = !g.chance(5)
		m.CivilServant = g.chance(0.3)
	}
	m.Dibao = h.Attribute == "dibao" || h.Attribute == "tekun"
}

// incomes makes the last three years' incomes: per-capita net income is
// drawn around the monitoring range, with a tail below the line.
func (g *Generator) incomes(h *registry.Household) []registry.Income {
	n := int64(len(h.Members))
	// log-normal around 11,000 yuan per person, σ 0.45.
	pc := math.Exp(math.Log(11000) + 0.45*g.rng.NormFloat64())
	if h.Status == "poor" || h.Status == "returned" {
		pc = 2500 + g.rng.Float64()*3500
	}
	var out []registry.Income
	for y := g.now.Year() - 3; y < g.now.Year(); y++ {
		growth := math.Pow(1.07, float64(y-(g.now.Year()-1)))
		net := int64(pc*growth*float64(n)) * 100
		wagesShare := 0.55 + 0.2*g.rng.Float64()
		transfers := net / 10
		if h.Attribute != "general" {
			transfers = net / 3
		}
		business := int64(float64(net-transfers) * (1 - wagesShare))
		property := int64(g.rng.IntN(300)) * 100
		costs := business / 4
		wages := net - transfers - business - property + costs
		if wages < 0 {
			wages, costs = 0, transfers+business+property-net
		}
		in := registry.Income{Year: y, Wages: wages, Business: business, Transfers: transfers, Property: property, Costs: costs}
		in.Net = in.Wages + in.Business + in.Transfers + in.Property - in.Costs
		// Rigid spending (刚性支出): illness and schooling costs most
		// years, now and then a disaster; a few households spend more
		// than they earn, which the monitoring rules look for.
		for _, m := range h.Members {
			if m.Health == "serious" || m.Health == "chronic" {
				in.MedicalCosts += int64(500+g.rng.IntN(8000)) * 100
			}
			if m.StudentStatus == "senior" || m.StudentStatus == "vocational" || m.StudentStatus == "college" {
				in.SchoolingCosts += int64(1000+g.rng.IntN(6000)) * 100
			}
		}
		if g.chance(2) {
			in.DisasterLosses = int64(2000+g.rng.IntN(30000)) * 100
		}
		out = append(out, in)
	}
	return out
}

// Cadres makes the cadres for the households: in each township about one
// cadre per seven of its households.
func (g *Generator) Cadres(households []HouseholdRef) []registry.Cadre {
	perTown := map[string]int{}
	for _, h := range households {
		perTown[h.VillageCode[:9]]++
	}
	var out []registry.Cadre
	for _, t := range g.towns {
		count := (perTown[t.Code] + 6) / 7
		for i := 0; i < count; i++ {
			u := units[g.pick(14, 12, 12, 10, 8, 8, 8, 12, 8, 8)]
			level := u.level
			unit := u.name
			if g.chance(35) {
				unit, level = t.Name+"人民政府", "township"
			}
			out = append(out, registry.Cadre{
				Name: g.name(surnames[g.rng.IntN(len(surnames))]), Unit: unit, UnitLevel: level,
				Post:  []string{"科员", "副科长", "干部", "站长", "副乡长"}[g.pick(50, 15, 25, 5, 5)],
				Phone: g.phone(), Area: t.Code, County: t.Code[:6], Username: fmt.Sprintf("gb%06d", len(out)+1),
			})
		}
	}
	return out
}

// Pairings assigns each household (ID, village code) a cadre of its
// township; about one in ten changed cadre once, in 2023, so pairing
// history is there to see.
func (g *Generator) Pairings(households []HouseholdRef, cadres []registry.Cadre) []registry.Pairing {
	byTown := map[string][]int{}
	for i, c := range cadres {
		byTown[c.Area] = append(byTown[c.Area], i)
	}
	load := make([]int, len(cadres))
	var out []registry.Pairing
	next := map[string]int{}
	choose := func(town string) int {
		idx := byTown[town]
		if len(idx) == 0 {
			return g.rng.IntN(len(cadres))
		}
		// Round robin keeps every cadre at 5–10 households.
		i := idx[next[town]%len(idx)]
		next[town]++
		return i
	}
	for _, h := range households {
		town := h.VillageCode[:9]
		c := choose(town)
		start := fmt.Sprintf("%d-03-01", 2016+g.rng.IntN(3))
		if g.chance(10) {
			old := choose(town)
			if old != c {
				end := fmt.Sprintf("2023-%02d-01", 1+g.rng.IntN(12))
				out = append(out, registry.Pairing{County: h.VillageCode[:6], CadreID: cadres[old].ID, HouseholdID: h.ID, Start: start, End: end, Reason: "干部调整"})
				start = end
			}
		}
		load[c]++
		out = append(out, registry.Pairing{County: h.VillageCode[:6], CadreID: cadres[c].ID, HouseholdID: h.ID, Start: start})
	}
	return out
}

// HouseholdRef is what pairing needs of a stored household.
type HouseholdRef struct {
	ID          int64
	VillageCode string
}
