package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"tuopin/internal/auth"
	"tuopin/internal/fault"
	"tuopin/internal/policy"
	"tuopin/internal/registry"
	"tuopin/internal/store"
)

type workbenchData struct {
	Period   string
	Coverage *store.Coverage
	Missed   []store.Missed
	Items    []registry.Shortfall
	Overdue  []registry.Shortfall
	Waiting  []registry.Case
}

// waitingOn is, per role, the case statuses whose next step is theirs.
var waitingOn = map[string][]string{
	auth.PairedCadre:     {registry.CaseLead, registry.CaseChecked},
	auth.VillageCadre:    {registry.CaseLead, registry.CaseChecked},
	auth.TownshipOfficer: {registry.CaseNoticed},
	auth.CountyAdmin:     {registry.CaseTownship},
}

// workbench (工作台) is what the signed-in user has to do: households
// not visited this month, open shortfalls, overdue ones, and monitoring
// cases waiting on the user's step.
func (h *Handler) workbench(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	d := workbenchData{Period: policy.PeriodOf(h.Store.Now()).String()}
	var err error
	if d.Coverage, err = h.Store.CoverageSummary(ctx, v.p, "", d.Period); err != nil {
		h.fail(w, r, v, err)
		return
	}
	if len(v.p.Area) >= 12 {
		// A village's own people get the list of households still to visit.
		full, err := h.Store.VisitCoverage(ctx, v.p, "", d.Period)
		if err != nil {
			h.fail(w, r, v, err)
			return
		}
		d.Missed = full.Missed[:min(50, len(full.Missed))]
	}
	if d.Items, err = h.Store.ListShortfalls(ctx, v.p, store.ShortfallFilter{Status: "active", Limit: 20}); err != nil {
		h.fail(w, r, v, err)
		return
	}
	if d.Overdue, err = h.Store.ListShortfalls(ctx, v.p, store.ShortfallFilter{Overdue: true, Limit: 20}); err != nil {
		h.fail(w, r, v, err)
		return
	}
	for _, st := range waitingOn[v.p.Role] {
		cs, err := h.Store.Cases(ctx, v.p, store.CaseFilter{Status: st, Limit: 20})
		if err != nil {
			h.fail(w, r, v, err)
			return
		}
		d.Waiting = append(d.Waiting, cs...)
	}
	h.render(w, r, http.StatusOK, "workbench.html", v.page(v.t("ui.menu.workbench"), "work", d))
}

type boardData struct {
	B        *store.Board
	Coverage *store.Coverage
	Period   string
	Sub      []boardRow
	Leaf     bool // the area is a village: rows link to its households
	Bars     chartData
	Trend    chartData
}

type boardRow struct {
	Area, Name, URL                            string
	Open, InProgress, Resolved, Verified, Over int64
}

type chartData struct {
	Labels []string      `json:"labels"`
	Series []chartSeries `json:"series"`
}

type chartSeries struct {
	Name string  `json:"name"`
	Data []int64 `json:"data"`
}

// board is the 清零 board: open items by indicator and status, the
// trend by month, a table of sub-areas that drills down from county to
// village to household, and this month's visit coverage.
func (h *Handler) board(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	area := q.Get("area")
	if area == "" {
		area = v.p.Area
	}
	period := h.month(r, 0)
	b, err := h.Store.Board(r.Context(), v.p, area, period)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	cov, err := h.Store.CoverageSummary(r.Context(), v.p, b.Area, period)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	d := boardData{B: b, Coverage: cov, Period: period, Leaf: len(b.Area) >= 12}
	rows := map[string]*boardRow{}
	var order []string
	for _, c := range b.Areas {
		row := rows[c.Area]
		if row == nil {
			row = &boardRow{Area: c.Area, Name: c.Name}
			if d.Leaf {
				row.URL = "/households?area=" + c.Area
			} else {
				row.URL = "/board?" + url.Values{"area": {c.Area}, "period": {period}}.Encode()
			}
			rows[c.Area] = row
			order = append(order, c.Area)
		}
		row.Open += c.Open
		row.InProgress += c.InProgress
		row.Resolved += c.Resolved
		row.Verified += c.Verified
		row.Over += c.Overdue
	}
	for _, a := range order {
		d.Sub = append(d.Sub, *rows[a])
	}
	open, prog, over := chartSeries{Name: v.t("code.shortfall_status.open")}, chartSeries{Name: v.t("code.shortfall_status.in_progress")}, chartSeries{Name: v.t("ui.overdue")}
	for _, c := range b.Totals {
		d.Bars.Labels = append(d.Bars.Labels, v.t("code.indicator."+c.Indicator))
		open.Data = append(open.Data, c.Open)
		prog.Data = append(prog.Data, c.InProgress)
		over.Data = append(over.Data, c.Overdue)
	}
	d.Bars.Series = []chartSeries{open, prog}
	opened, resolved := chartSeries{Name: v.t("ui.opened")}, chartSeries{Name: v.t("ui.resolved")}
	for _, t := range b.Trend {
		d.Trend.Labels = append(d.Trend.Labels, t.Period)
		opened.Data = append(opened.Data, t.Opened)
		resolved.Data = append(resolved.Data, t.Resolved)
	}
	d.Trend.Series = []chartSeries{opened, resolved}
	pg := v.page(v.t("ui.menu.board"), "board", d)
	pg.Charts = true
	pg.Crumbs = h.crumbs(v.p, b.Area, "/board?period="+period+"&area=")
	h.render(w, r, http.StatusOK, "board.html", pg)
}

type shortfallsData struct {
	Area, Status, Indicator string
	Overdue                 bool
	Items                   []registry.Shortfall
	NextURL                 string
	Statuses, Indicators    []string
}

// shortfalls lists an area's items with filters, a page at a time.
func (h *Handler) shortfalls(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
	d := shortfallsData{Area: q.Get("area"), Status: q.Get("status"), Indicator: q.Get("indicator"), Overdue: q.Get("overdue") == "1",
		Statuses:   []string{"active", registry.ShortfallOpen, registry.ShortfallInProgress, registry.ShortfallResolved, registry.ShortfallVerified},
		Indicators: []string{"income", "food", "clothing", "education", "medical", "housing", "water"}}
	const size = 100
	items, err := h.Store.ListShortfalls(r.Context(), v.p, store.ShortfallFilter{Area: d.Area, Status: d.Status, Indicator: d.Indicator, Overdue: d.Overdue, AfterID: after, Limit: size})
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	d.Items = items
	if len(items) == size {
		x := q
		x.Set("after", strconv.FormatInt(items[len(items)-1].ID, 10))
		d.NextURL = "/shortfalls?" + x.Encode()
	}
	h.render(w, r, http.StatusOK, "shortfalls.html", v.page(v.t("ui.menu.shortfalls"), "shortfalls", d))
}

// shortfallAction takes a step on an item from the household page (plan,
// resolve, verify, reopen) and returns there.
func (h *Handler) shortfallAction(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || r.ParseForm() != nil {
		h.fail(w, r, v, fault.New(fault.NotFound, "error.not_found"))
		return
	}
	f := r.PostForm
	version, _ := strconv.Atoi(f.Get("version"))
	a := store.ShortfallAction{Action: f.Get("action"), Version: version, Category: f.Get("category"), Unit: strings.TrimSpace(f.Get("unit")),
		Deadline: f.Get("deadline"), Evidence: strings.TrimSpace(f.Get("evidence")), Reason: strings.TrimSpace(f.Get("reason"))}
	if c := strings.TrimSpace(f.Get("cost")); c != "" {
		y, err := strconv.ParseFloat(c, 64)
		if err != nil {
			h.fail(w, r, v, fault.New(fault.Invalid, "reason.number"))
			return
		}
		a.Cost = int64(y*100 + 0.5)
	}
	x, err := h.Store.ActOnShortfall(r.Context(), v.p, id, a)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/households/"+strconv.FormatInt(x.HouseholdID, 10)+"?done=step#shortfalls", http.StatusSeeOther)
}
