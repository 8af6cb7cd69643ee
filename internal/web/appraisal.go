package web

import (
	"net/http"
	"strconv"

	"tuopin/internal/appraisal"
	"tuopin/internal/store"
)

type scorecardsData struct {
	Period  string
	Formula appraisal.Formula
	Cards   []appraisal.Card
	Metrics []string
}

// scorecards is the cadres' scorecards of a month (绩效考核), best first,
// with ranks in township and unit; each metric links to its records.
func (h *Handler) scorecards(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	period := h.month(r, 0)
	f, err := h.Store.Formula(r.Context(), "scorecard", 0)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	cards, err := h.Store.Scorecards(r.Context(), v.p, q.Get("area"), period, f)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	if len(cards) > 500 {
		cards = cards[:500]
	}
	h.render(w, r, http.StatusOK, "scorecards.html", v.page(v.t("ui.menu.scorecards"), "scorecards", scorecardsData{Period: period, Formula: f, Cards: cards, Metrics: appraisal.Metrics}))
}

type recordsData struct {
	CadreID int64
	Period  string
	Metric  string
	Records []store.ScoreRecord
}

// scoreRecords lists the records behind one metric of one cadre's card.
func (h *Handler) scoreRecords(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	q := r.URL.Query()
	f, err := h.Store.Formula(r.Context(), "scorecard", 0)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	d := recordsData{CadreID: id, Period: q.Get("period"), Metric: q.Get("metric")}
	if d.Records, err = h.Store.ScoreRecords(r.Context(), v.p, id, d.Period, d.Metric, f.TimelyDay); err != nil {
		h.fail(w, r, v, err)
		return
	}
	h.render(w, r, http.StatusOK, "records.html", v.page(v.t("ui.menu.scorecards"), "scorecards", d))
}
