// Package cli implements tuopin's commands. Every command takes --db
// (default $TUOPIN_DB or ./tuopin.db; a postgres:// URL selects
// PostgreSQL).
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"tuopin/internal/app"
	"tuopin/internal/assess"
	"tuopin/internal/auth"
	"tuopin/internal/demo"
	"tuopin/internal/division"
	"tuopin/internal/fault"
	"tuopin/internal/i18n"
	"tuopin/internal/importer"
	"tuopin/internal/policy"
	"tuopin/internal/store"
)

const usage = `tuopin — 脱贫攻坚管理系统 / poverty-alleviation work system

Usage:
  tuopin serve [--addr :8080] [--demo] [--demo-households N] [--demo-months N] [--no-migrate]
  tuopin migrate
  tuopin demo [--households N] [--months N] [--seed S]
  tuopin import households FILE [--dry-run] [--report OUT] [--user NAME]
  tuopin import template OUT.xlsx
  tuopin export households OUT.csv|OUT.xlsx [--area CODE]
  tuopin user add --username NAME --password PASS --role ROLE --area CODE
  tuopin user passwd --username NAME --password PASS
  tuopin token create --user NAME
  tuopin assess [--period YYYY-MM] [--area CODE] [--set CODE,…] [--force]
  tuopin explain HOUSEHOLD [--period YYYY-MM] [--json]
  tuopin exit-report --area CODE [--period YYYY-MM] [--json]
  tuopin mpi --area CODE [--k 1/3] [--set mpi-global|mpi-china] [--period YYYY-MM] [--json]
  tuopin rules list [--all] | show CODE [--version N] | save FILE.json | preview EXPR [--area CODE]
  tuopin params list | set --kind K --jurisdiction CODE --year Y --value V [--certainty C] [--source S]
  tuopin population import FILE.csv      (village_code,year,rural_population[,source])
  tuopin audit verify
  tuopin visit add --household ID|NUMBER [--date D] [--kind in_person|phone] [--facts JSON] [--notes T] [--no-problem] [--user NAME]
  tuopin visit coverage [--area CODE] [--period YYYY-MM] [--json]
  tuopin board [--area CODE] [--period YYYY-MM] [--json] | board check
  tuopin sample draw [--area CODE] [--period YYYY-MM] [--per-village N] [--seed S] | sample list
  tuopin monitor alerts FILE.csv [--department NAME] [--dry-run] | list [--area CODE] [--status S] | notices [--date D]

Every command takes --db PATH|postgres://… (default $TUOPIN_DB or ./tuopin.db)
and --lang zh-CN|en for its messages.
Roles: county_admin, township_officer, village_cadre, paired_cadre, verifier, inspector, viewer
`

type env struct {
	out, errw io.Writer
	lang      string
}

// Run runs the command line args and returns the exit code.
func Run(args []string, stdout, stderr io.Writer) int {
	e := &env{out: stdout, errw: stderr, lang: i18n.Lang(os.Getenv("LANG"))}
	if strings.HasPrefix(os.Getenv("LANG"), "zh") || os.Getenv("LANG") == "" || os.Getenv("LANG") == "C.UTF-8" {
		e.lang = i18n.ZH
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch args[0] {
	case "serve":
		err = e.serve(ctx, args[1:])
	case "migrate":
		err = e.migrate(ctx, args[1:])
	case "demo":
		err = e.demo(ctx, args[1:])
	case "import":
		err = e.importCmd(ctx, args[1:])
	case "export":
		err = e.export(ctx, args[1:])
	case "user":
		err = e.user(ctx, args[1:])
	case "token":
		err = e.token(ctx, args[1:])
	case "assess":
		err = e.assessCmd(ctx, args[1:])
	case "explain":
		err = e.explain(ctx, args[1:])
	case "exit-report":
		err = e.exitReport(ctx, args[1:])
	case "mpi":
		err = e.mpiCmd(ctx, args[1:])
	case "rules":
		err = e.rules(ctx, args[1:])
	case "params":
		err = e.params(ctx, args[1:])
	case "population":
		err = e.population(ctx, args[1:])
	case "audit":
		err = e.auditCmd(ctx, args[1:])
	case "visit":
		err = e.visitCmd(ctx, args[1:])
	case "board":
		err = e.boardCmd(ctx, args[1:])
	case "sample":
		err = e.sampleCmd(ctx, args[1:])
	case "monitor":
		err = e.monitorCmd(ctx, args[1:])
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "%s\n\n%s", ue.msg, usage)
			return 2
		}
		e.printError(err)
		return 1
	}
	return 0
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func (e *env) printError(err error) {
	if fe, ok := fault.As(err); ok {
		fmt.Fprintf(e.errw, "错误 error: %s\n", fe.Msg.Both())
		for _, f := range fe.Fields {
			if f.Row > 0 {
				fmt.Fprintf(e.errw, "  第%d行 row %d ", f.Row, f.Row)
			}
			fmt.Fprintf(e.errw, "  [%s] %s: %s\n", fieldLabel(f.Field), f.Value, f.Reason.Both())
		}
		return
	}
	fmt.Fprintf(e.errw, "错误 error: %v\n", err)
}

// fieldLabel names a field in both languages, or shows its path (such
// as rules[2].expression) when the catalogue has no label for it.
func fieldLabel(field string) string {
	if i18n.T(i18n.ZH, "field."+field) == "field."+field {
		return field
	}
	return i18n.M("field." + field).Both()
}

// flags makes a flag set with the common --db and --lang.
func (e *env) flags(name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.errw)
	def := os.Getenv("TUOPIN_DB")
	if def == "" {
		def = "tuopin.db"
	}
	db := fs.String("db", def, "SQLite file or postgres:// URL")
	fs.Func("lang", "message language: zh-CN or en", func(s string) error { e.lang = i18n.Lang(s); return nil })
	return fs, db
}

// parse parses flags that may come before or after positional arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func (e *env) open(ctx context.Context, db string) (*store.Store, error) {
	return app.Open(ctx, app.Config{DB: db, Migrate: true})
}

func (e *env) serve(ctx context.Context, args []string) error {
	fs, db := e.flags("serve")
	addr := fs.String("addr", envOr("TUOPIN_ADDR", ":8080"), "listen address")
	withDemo := fs.Bool("demo", false, "load a demo county into an empty database and create the demo login")
	demoN := fs.Int("demo-households", 20000, "households in the demo county")
	demoMonths := fs.Int("demo-months", 12, "months of history in the demo county (0: the bare registry)")
	noMigrate := fs.Bool("no-migrate", false, "refuse to start on an outdated schema instead of migrating")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(e.errw, nil))
	if *withDemo {
		// The demo county and its login exist before the server answers,
		// so the first request can already sign in.
		s, err := app.Open(ctx, app.Config{DB: *db, Migrate: true})
		if err != nil {
			return err
		}
		err = e.ensureDemo(ctx, s, *demoN, *demoMonths)
		s.Close()
		if err != nil {
			return err
		}
	}
	m := &app.Main{}
	if err := m.Run(ctx, app.Config{DB: *db, Addr: *addr, Log: log, Migrate: !*noMigrate}); err != nil {
		return err
	}
	defer m.Close()
	host := m.Addr
	if strings.HasPrefix(host, "[::]:") {
		host = "localhost:" + strings.TrimPrefix(host, "[::]:")
	}
	fmt.Fprintf(e.out, "tuopin 已启动 listening on http://%s\n", host)
	go func() {
		<-ctx.Done()
		m.Close()
	}()
	return m.Wait()
}

// Demo login printed by serve --demo.
const (
	demoUser     = "demo"
	demoPassword = "tuopin-demo"
)

func (e *env) ensureDemo(ctx context.Context, s *store.Store, n, months int) error {
	nh, _, err := s.Counts(ctx)
	if err != nil {
		return err
	}
	if nh == 0 {
		fmt.Fprintf(e.out, "生成演示县 generating the demo county (%d households, %d months of history)…\n", n, months)
		if err := e.loadDemo(ctx, s, demo.Options{Households: n, Seed: 1, Months: months}); err != nil {
			return err
		}
	}
	if _, err := s.UserByName(ctx, demoUser); fault.KindOf(err) == fault.NotFound {
		if _, err := s.AddUser(ctx, demoUser, demoPassword, auth.CountyAdmin, division.Zhenxiong); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	fmt.Fprintf(e.out, "演示账号 demo login: 用户名 username %s  密码 password %s  (镇雄县 county admin)\n", demoUser, demoPassword)
	return nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func (e *env) migrate(ctx context.Context, args []string) error {
	fs, db := e.flags("migrate")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	s, err := e.open(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	have, _, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.out, "数据库结构版本 schema version %d\n", have)
	return nil
}

// progress returns a callback that redraws one status line, only when
// stderr is a terminal (logs and CI output stay clean).
func (e *env) progress(what string) func(done, total int) {
	f, ok := e.errw.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	start := time.Now()
	return func(done, total int) {
		rate := float64(done) / time.Since(start).Seconds()
		if total > 0 {
			fmt.Fprintf(e.errw, "\r%s: %d/%d (%d%%) %.0f/s   ", what, done, total, done*100/max(total, 1), rate)
		} else {
			fmt.Fprintf(e.errw, "\r%s: %d %.0f/s   ", what, done, rate)
		}
	}
}

func (e *env) endProgress() {
	if f, ok := e.errw.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(e.errw, "\n")
	}
}

func (e *env) demo(ctx context.Context, args []string) error {
	fs, db := e.flags("demo")
	n := fs.Int("households", 20000, "number of households")
	months := fs.Int("months", 12, "months of history: visits, findings, shortfalls worked, cases, samples (0: the bare registry)")
	seed := fs.Uint64("seed", 1, "random seed; the same seed gives the same county")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *n < 1 {
		return usageError{"--households must be at least 1"}
	}
	if *months < 0 || *months > 60 {
		return usageError{"--months must be from 0 to 60"}
	}
	s, err := e.open(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	return e.loadDemo(ctx, s, demo.Options{Households: *n, Seed: *seed, Months: *months})
}

// loadDemo writes the demo county with its history, or assesses the bare
// registry for this month, and reports what it made.
func (e *env) loadDemo(ctx context.Context, s *store.Store, o demo.Options) error {
	o.Progress = e.progress("demo")
	o.Log = func(line string) {
		e.endProgress()
		fmt.Fprintf(e.out, "  历史 history %s\n", line)
	}
	res, err := demo.Load(ctx, s, o)
	e.endProgress()
	if err != nil {
		return err
	}
	fmt.Fprintf(e.out, "演示县 demo county: %d 户 households, %d 人 members, %d 帮扶干部 cadres, %d 结对 pairings in %.1f s\n",
		res.Households, res.Members, res.Cadres, res.Pairings, res.Elapsed.Seconds())
	if o.Months == 0 {
		return e.assessDemo(ctx, s)
	}
	hr := res.History
	fmt.Fprintf(e.out, "%d 个月 months: %d 次走访 visits (%d 次落实措施 fixing, %d 次发现风险 finding risks), %d 项措施 measures planned, "+
		"%d 项核验 verified, %d 项重开 reopened, %d 户纳入监测 cases approved, %d 户风险消除 eliminated, %d 户抽查 sampled\n",
		hr.Months, hr.Visits+hr.Fixes+hr.Risks, hr.Fixes, hr.Risks, hr.Plans, hr.Verified, hr.Reopened, hr.Cases, hr.Eliminated, hr.Samples)
	return nil
}

// assessDemo assesses the demo county for this month, so its findings,
// exit report and MPI are there from the first page.
func (e *env) assessDemo(ctx context.Context, s *store.Store) error {
	start := time.Now()
	a, who, p := assess.New(s), auth.System("demo"), policy.PeriodOf(s.Now())
	run, err := a.Period(ctx, who, p, assess.Options{})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.out, "研判 assessed %s: %d 户 households in %.1f s\n", run.Period, run.Households, time.Since(start).Seconds())
	return e.syncShortfalls(ctx, a, who, p)
}

func (e *env) importCmd(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError{"import: say households or template"}
	}
	switch args[0] {
	case "template":
		fs, _ := e.flags("import template")
		pos, err := parse(fs, args[1:])
		if err != nil {
			return err
		}
		if len(pos) != 1 {
			return usageError{"import template: give the output .xlsx path"}
		}
		if err := importer.WriteTemplate(pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(e.out, "模板已写入 template written: %s\n", pos[0])
		return nil
	case "households":
	default:
		return usageError{"import: unknown kind " + args[0]}
	}
	fs, db := e.flags("import households")
	dry := fs.Bool("dry-run", false, "check the file and write nothing")
	report := fs.String("report", "", "write the error report here (.xlsx marks the bad cells, otherwise CSV)")
	user := fs.String("user", "", "record the import as this user (default: the operating system user)")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"import households: give one FILE"}
	}
	s, err := e.open(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	actor := auth.System("cli:" + envOr("USER", "operator"))
	if *user != "" {
		u, err := s.UserByName(ctx, *user)
		if err != nil {
			return err
		}
		actor = u.Principal()
		if !actor.CanImport() {
			return fault.New(fault.Forbidden, "error.forbidden")
		}
	}
	prog := e.progress("import")
	var progFn func(int)
	if prog != nil {
		progFn = func(n int) { prog(n, 0) }
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		// A soft limit keeps a million-row import well under 300 MB: the
		// collector works harder instead of letting garbage pile up.
		debug.SetMemoryLimit(200 << 20)
	}
	res, err := importer.Import(ctx, s, pos[0], importer.Options{DryRun: *dry, Actor: actor, Progress: progFn})
	e.endProgress()
	if err != nil {
		return err
	}
	if *report != "" {
		if err := importer.WriteReport(*report, res, pos[0]); err != nil {
			return err
		}
	}
	shown := 0
	for _, er := range res.Errors {
		if shown == 20 {
			fmt.Fprintf(e.errw, "  … (%d more / 另有 %d 处)\n", res.ErrorCount-shown, res.ErrorCount-shown)
			break
		}
		fmt.Fprintf(e.errw, "  %s\n", i18n.M("import.error.row", "row", fmt.Sprint(er.Row), "field", er.Column, "reason", er.Reason.In(e.lang)).In(e.lang))
		shown++
	}
	fmt.Fprintln(e.out, res.Summary().Both())
	if res.ErrorCount > 0 {
		if *report != "" {
			fmt.Fprintf(e.out, "报告 report: %s\n", *report)
		}
		return errors.New(res.Summary().In(i18n.EN))
	}
	return nil
}

func (e *env) export(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "households" {
		return usageError{"export: say households"}
	}
	fs, db := e.flags("export households")
	area := fs.String("area", "", "division code prefix")
	pos, err := parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"export households: give the output file"}
	}
	s, err := e.open(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	n, err := exportHouseholds(ctx, s, *area, pos[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(e.out, "已导出 exported %d 户 households to %s\n", n, pos[0])
	return nil
}

func (e *env) user(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError{"user: say add or passwd"}
	}
	fs, db := e.flags("user " + args[0])
	name := fs.String("username", "", "user name")
	pass := fs.String("password", "", "password (at least 8 characters)")
	role := fs.String("role", "", "role")
	area := fs.String("area", "", "area scope: a division code")
	if _, err := parse(fs, args[1:]); err != nil {
		return err
	}
	s, err := e.open(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	switch args[0] {
	case "add":
		u, err := s.AddUser(ctx, *name, *pass, *role, *area)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.out, "已创建用户 user created: %s (%s, %s)\n", u.Username, u.Role, u.Area)
	case "passwd":
		if err := s.SetPassword(ctx, *name, *pass); err != nil {
			return err
		}
		fmt.Fprintf(e.out, "密码已更新 password changed: %s\n", *name)
	default:
		return usageError{"user: unknown " + args[0]}
	}
	return nil
}

func (e *env) token(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return usageError{"token: say create"}
	}
	fs, db := e.flags("token create")
	user := fs.String("user", "", "user name")
	if _, err := parse(fs, args[1:]); err != nil {
		return err
	}
	s, err := e.open(ctx, *db)
	if err != nil {
		return err
	}
	defer s.Close()
	tok, err := s.CreateToken(ctx, *user)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.out, "API 令牌 token for %s (Authorization: Bearer …), valid one year:\n%s\n", *user, tok)
	return nil
}
