package web

import (
	"encoding/base64"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	qrcode "github.com/skip2/go-qrcode"

	"tuopin/internal/fault"
	"tuopin/internal/i18n"
	"tuopin/internal/policy"
	"tuopin/internal/store"
)

type surveyLinkData struct {
	HouseholdID int64
	HeadName    string
	Period      string
	URL         string
	QR          template.URL // a data: URL of the PNG, which the CSP allows
}

// surveyLink makes a household's one-time survey link (一户一码) and shows
// it with its QR code, to print and hand over.
func (h *Handler) surveyLink(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		h.fail(w, r, v, fault.New(fault.NotFound, "error.not_found"))
		return
	}
	hh, err := h.Store.GetHousehold(r.Context(), v.p, id)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	period := policy.PeriodOf(h.Store.Now()).String()
	token, err := h.Store.CreateSurveyToken(r.Context(), v.p, id, period)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	d := surveyLinkData{HouseholdID: id, HeadName: hh.HeadName, Period: period, URL: scheme + "://" + r.Host + "/s/" + token}
	png, err := qrcode.Encode(d.URL, qrcode.Medium, 256)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	d.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
	h.render(w, r, http.StatusOK, "surveylink.html", v.page(v.t("ui.survey_link"), "households", d))
}

type surveyData struct {
	Token  string
	Invite store.SurveyInvite
	Done   bool
}

// survey is the household's own survey (群众认可度) through its one-time
// link, with no sign-in: four questions and a comment.
func (h *Handler) survey(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(w, r)
	token := r.PathValue("token")
	in, err := h.Store.SurveyByToken(r.Context(), token)
	if err != nil {
		h.render(w, r, http.StatusNotFound, "survey.html", page{Lang: lang, Error: i18n.T(lang, "ui.survey_used")})
		return
	}
	h.render(w, r, http.StatusOK, "survey.html", page{Lang: lang, Data: surveyData{Token: token, Invite: in}})
}

func (h *Handler) surveySubmit(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(w, r)
	if r.ParseForm() != nil {
		h.render(w, r, http.StatusBadRequest, "survey.html", page{Lang: lang, Error: i18n.T(lang, "reason.bad_form")})
		return
	}
	f := r.PostForm
	yes := func(name string) bool { return f.Get(name) == "yes" }
	v := store.Survey{Policies: yes("policies"), Measures: yes("measures"), ExitResult: yes("exit_result"), Cadre: yes("cadre"), Comment: strings.TrimSpace(f.Get("comment"))}
	if len(v.Comment) > 2000 {
		v.Comment = v.Comment[:2000]
	}
	if err := h.Store.AnswerSurvey(r.Context(), r.PathValue("token"), &v); err != nil {
		h.render(w, r, http.StatusNotFound, "survey.html", page{Lang: lang, Error: i18n.T(lang, "ui.survey_used")})
		return
	}
	h.render(w, r, http.StatusOK, "survey.html", page{Lang: lang, Data: surveyData{Done: true}})
}

// surveyRecord records a verifier's satisfaction survey of a household
// from its page.
func (h *Handler) surveyRecord(w http.ResponseWriter, r *http.Request) {
	v, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || r.ParseForm() != nil {
		h.fail(w, r, v, fault.New(fault.NotFound, "error.not_found"))
		return
	}
	if !v.p.CanVerify() {
		h.fail(w, r, v, fault.New(fault.Forbidden, "error.forbidden"))
		return
	}
	hh, err := h.Store.GetHousehold(r.Context(), v.p, id)
	if err != nil {
		h.fail(w, r, v, err)
		return
	}
	f := r.PostForm
	yes := func(name string) bool { return f.Get(name) == "yes" }
	sv := store.Survey{Village: hh.VillageCode, HouseholdID: id, Period: policy.PeriodOf(h.Store.Now()).String(), Policies: yes("policies"), Measures: yes("measures"),
		ExitResult: yes("exit_result"), Cadre: yes("cadre"), Comment: strings.TrimSpace(f.Get("comment")), Channel: "verifier", RecordedBy: v.p.Username}
	if err := h.Store.AddSurvey(r.Context(), &sv); err != nil {
		h.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/households/"+strconv.FormatInt(id, 10)+"?done=step", http.StatusSeeOther)
}
