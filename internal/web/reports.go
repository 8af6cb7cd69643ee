package web

import (
	"net/http"
	"net/url"
	"strings"

	"tuopin/internal/assess"
	"tuopin/internal/policy"
)

type exitData struct {
	R         *assess.ExitReport
	Period    string
	Leaf      bool
	Incidence chartData
}

// exitPage is exit readiness (退出评估) of an area: its own indicators
// against their thresholds, the sub-areas' table drilling down to the
// village, and at village level the households and the rules they fail.
func (h *Handler) exitPage(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	rep, err := h.Assess.ExitReport(r.Context(), v.p, q.Get("area"), q.Get("period"))
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	d := exitData{R: rep, Period: rep.Period, Leaf: len(rep.Area.Code) >= 12}
	// Incidence before and after the eligible exits, in tenths of a per
	// cent, for each sub-area.
	before, after := chartSeries{Name: v.t("ui.incidence")}, chartSeries{Name: v.t("ui.incidence_after")}
	tenths := func(r *assess.Rate) int64 {
		if r == nil {
			return 0
		}
		return int64(r.Value*1000 + 0.5)
	}
	for _, row := range rep.Rows {
		d.Incidence.Labels = append(d.Incidence.Labels, row.Name)
		before.Data = append(before.Data, tenths(row.Incidence))
		after.Data = append(after.Data, tenths(row.IncidenceAfterExit))
	}
	d.Incidence.Series = []chartSeries{before, after}
	pg := v.page(v.t("ui.menu.exit"), "exit", d)
	pg.Charts = len(rep.Rows) > 0
	pg.Crumbs = h.crumbs(v.p, rep.Area.Code, "/exit?"+url.Values{"period": {rep.Period}}.Encode()+"&area=")
	h.render(w, r, http.StatusOK, "exit.html", pg)
}

type mpiData struct {
	R       *assess.MPIReport
	Set, K  string
	Sets    []string
	Contrib chartData
}

// mpiPage is the multidimensional poverty index of an area with the
// contribution of each indicator and the sub-areas.
func (h *Handler) mpiPage(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	set := q.Get("set")
	if set != "mpi-china" {
		set = "mpi-global"
	}
	rep, err := h.Assess.MPI(r.Context(), v.p, q.Get("area"), q.Get("period"), set, q.Get("k"))
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	d := mpiData{R: rep, Set: set, K: rep.K, Sets: []string{"mpi-global", "mpi-china"}}
	series := chartSeries{Name: v.t("ui.contribution")}
	for _, ind := range rep.Indicators {
		d.Contrib.Labels = append(d.Contrib.Labels, ind.Code)
		series.Data = append(series.Data, int64(ind.Contribution*1000+0.5)/10)
	}
	d.Contrib.Series = []chartSeries{series}
	pg := v.page("MPI", "mpi", d)
	pg.Charts = true
	pg.Crumbs = h.crumbs(v.p, rep.Area, "/mpi?"+url.Values{"set": {set}, "period": {rep.Period}}.Encode()+"&area=")
	h.render(w, r, http.StatusOK, "mpi.html", pg)
}

type rulesData struct {
	Sets    []*policy.RuleSet
	Expr    string
	Preview *assess.Preview
	Error   string
}

// rulesPage shows the rule sets in force with each rule's zh and en
// description and expression, and previews an expression over the
// households in scope (nothing is saved).
func (h *Handler) rulesPage(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	sets, err := h.Store.RuleSetsInForce(r.Context(), policy.PeriodOf(h.Store.Now()))
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	d := rulesData{Sets: sets, Expr: strings.TrimSpace(r.URL.Query().Get("expr"))}
	if d.Expr != "" {
		if d.Preview, err = h.Assess.Preview(r.Context(), v.p, d.Expr); err != nil {
			d.Error = errorText(v.lang, err)
		}
	}
	h.render(w, r, http.StatusOK, "rules.html", v.page(v.t("ui.menu.rules"), "rules", d))
}
