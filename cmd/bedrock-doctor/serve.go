package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

const serveSynopsis = `bedrock-doctor serve [SCENARIO | FILE.json]

Runs a local multi-account AWS (STS, IAM, Bedrock, Bedrock Runtime; HTTP/1.1
and HTTP/2) on loopback until interrupted (Ctrl-C or SIGTERM; the end of stdin
does not stop it), with one world: a built-in scenario (default: healthy, see
"bedrock-doctor demo --list") or a file in the scenarios' format. It prints,
as shell lines, the endpoints, the region and the credentials of the world's
principals, and how to run check against it: the way to try check, an app or
another language's SDK without an AWS account.`

const serveExamples = `  bedrock-doctor serve role-permissions          # print the shell lines; paste them in another shell
  bedrock-doctor serve trust-policy > world.env &  # or keep them in a file
  . ./world.env && bedrock-doctor check --role-arn arn:aws:iam::222222222222:role/BedrockInvoker \
      --model anthropic.claude-3-haiku-20240307-v1:0
  bedrock-doctor serve ./my-world.json             # a world of your own
`

// runServe serves one world until ctx ends or SIGTERM arrives.
func runServe(ctx context.Context, e env, args []string) int {
	fs := newFlagSet(e, "serve", serveSynopsis, serveExamples)
	logRequests := fs.Bool("log", false, "print each request the world answers on stderr: service, operation, status, decision, protocol, caller and the layers that deny it")
	pos, err := parseFlags(e, fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) > 1 {
		return usageError(e, "serve", "one world at a time, got %d", len(pos))
	}
	arg := "healthy"
	if len(pos) == 1 {
		arg = pos[0]
	}
	all, err := builtinScenarios()
	if err != nil {
		fmt.Fprintf(e.stderr, "bedrock-doctor serve: embedded scenarios: %v\n", err)
		return exitUsage
	}
	s, err := resolveScenario(all, arg)
	if err != nil {
		return usageError(e, "serve", "%v", err)
	}
	sc, err := awsfake.ParseScenario(s.world)
	if err != nil {
		return usageError(e, "serve", "%s: %v", arg, err)
	}

	// The auditor's keys go in a credentials file of their own, for
	// check's --diagnostic-profile; the app's are exported.
	dir, err := os.MkdirTemp("", "bedrock-doctor-serve-")
	if err != nil {
		fmt.Fprintf(e.stderr, "bedrock-doctor serve: %v\n", err)
		return exitUsage
	}
	defer os.RemoveAll(dir)
	credsFile := ""
	if u := s.app.DiagnosticUser; u != "" {
		c, _ := sc.Credentials(u)
		credsFile = filepath.Join(dir, "credentials")
		ini := fmt.Sprintf("[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n", auditorProfile, c.AccessKeyID, c.SecretAccessKey)
		if err := os.WriteFile(credsFile, []byte(ini), 0o600); err != nil {
			fmt.Fprintf(e.stderr, "bedrock-doctor serve: %v\n", err)
			return exitUsage
		}
	}

	srv := awsfake.NewServer(sc.World)
	defer srv.Close()
	e.printServeEnv(s, sc, srv.URL, credsFile)
	fmt.Fprintf(e.stderr, "bedrock-doctor serve: world %s on %s (loopback only) until Ctrl-C or SIGTERM\n", sanitize(s.name), srv.URL)

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *logRequests {
		e.followLog(ctx, srv)
	} else {
		<-ctx.Done()
	}
	fmt.Fprintln(e.stderr, "bedrock-doctor serve: stopped")
	return exitOK
}

// followLog prints the server's new log entries on stderr until ctx ends.
func (e env) followLog(ctx context.Context, srv *awsfake.Server) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	seen := 0
	for {
		log := srv.Log()
		for _, en := range log[seen:] {
			line := fmt.Sprintf("%s %s %s %d %s %s %s", en.Time.Format("15:04:05"), en.Service, en.Action, en.Status, orDefault(en.Decision, "-"), en.Proto, orDefault(en.Caller, "-"))
			if en.ErrorCode != "" {
				line += " " + en.ErrorCode
			}
			if len(en.Truth) > 0 {
				line += " denied by: " + strings.Join(en.Truth, ", ")
			}
			fmt.Fprintln(e.stderr, sanitize(line))
		}
		seen = len(log)
		if ctx.Err() != nil {
			return
		}
		select {
		case <-ctx.Done(): // one more pass for the last entries
		case <-tick.C:
		}
	}
}

// auditorProfile names the auditor's profile in serve's credentials file.
const auditorProfile = "auditor"

// resolveScenario finds a built-in scenario by name or loads a .json file.
func resolveScenario(all []scenario, arg string) (scenario, error) {
	if strings.HasSuffix(arg, ".json") {
		data, err := os.ReadFile(arg)
		if err != nil {
			return scenario{}, err
		}
		s, err := parseScenario(data)
		if err != nil {
			return scenario{}, fmt.Errorf("%s: %w", arg, err)
		}
		return s, nil
	}
	s, ok := findScenario(all, arg)
	if !ok {
		return scenario{}, fmt.Errorf("unknown scenario %q (the scenarios: %s)", arg, scenarioNames(all))
	}
	return s, nil
}

// printServeEnv writes the shell lines for a served world: comments, the
// endpoints and region, the app's credentials as exports, every other
// user's as commented exports, and the check command.
func (e env) printServeEnv(s scenario, sc *awsfake.Scenario, url, credsFile string) {
	w := e.stdout
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("# bedrock-doctor serve: world %s on %s, loopback only, until Ctrl-C or SIGTERM.", sanitize(s.name), url)
	if s.title != "" {
		p("# %s", sanitize(s.title))
	}
	p("# expected diagnosis: %s (fixed by %s)", s.expect, sanitize(s.who))
	p("# Paste the lines below into a shell, or keep them in a file and source it.")
	p("unset AWS_PROFILE AWS_SESSION_TOKEN AWS_BEARER_TOKEN_BEDROCK")
	// Every service the diagnosis reads: KMS for a model's key, Bedrock
	// Agent for a prompt's model.
	for _, v := range []string{"STS", "IAM", "BEDROCK", "BEDROCK_RUNTIME", "BEDROCK_AGENT", "KMS"} {
		p("export AWS_ENDPOINT_URL_%s=%s", v, shellQuote(url))
	}
	p("export AWS_REGION=%s", shellQuote(s.target.Region))

	app := s.target.Principal
	keys, _ := sc.Credentials(app)
	note := ""
	if s.app.DeletedKey {
		// As in the demo: a key id the world never issued, as after the
		// key was deleted.
		keys = awsfake.Credentials{AccessKeyID: "AKIA" + "DEMODELETEDKEY00", SecretAccessKey: "deleted-key-secret-not-a-real-secret00"}
		note = ", with an access key that was deleted"
	}
	p("# the app: %s%s", principalName(app), note)
	p("export AWS_ACCESS_KEY_ID=%s", shellQuote(keys.AccessKeyID))
	p("export AWS_SECRET_ACCESS_KEY=%s", shellQuote(keys.SecretAccessKey))
	users := sc.Users()
	sort.SliceStable(users, func(i, j int) bool { return users[i] == s.app.DiagnosticUser && users[j] != s.app.DiagnosticUser })
	for _, u := range users {
		if u == app {
			continue
		}
		c, _ := sc.Credentials(u)
		if u == s.app.DiagnosticUser {
			p("# the diagnostic auditor: %s, read-only (profile %q in %s)", principalName(u), auditorProfile, credsFile)
		} else {
			p("# another principal: %s", principalName(u))
		}
		p("#   export AWS_ACCESS_KEY_ID=%s", shellQuote(c.AccessKeyID))
		p("#   export AWS_SECRET_ACCESS_KEY=%s", shellQuote(c.SecretAccessKey))
	}

	t := s.target
	call := fmt.Sprintf("# the app's call: %s %s in %s", orDefault(t.Operation, "Converse"), sanitize(t.ModelID), sanitize(t.Region))
	if s.app.ForgetsRole {
		call += ", signed with the app's own keys (it never assumes " + sanitize(t.RoleARN) + ")"
	} else {
		call += ", through the role " + sanitize(t.RoleARN)
		if s.app.ExternalID != "" {
			call += " with external id " + sanitize(s.app.ExternalID)
		}
	}
	p("%s", call)
	check := []string{"bedrock-doctor", "check", "--role-arn", shellQuote(t.RoleARN), "--model", shellQuote(t.ModelID)}
	if op := operationFlag(t.Operation); op != "" {
		check = append(check, "--operation", op)
	}
	if s.app.ExternalID != "" {
		check = append(check, "--external-id", shellQuote(s.app.ExternalID))
	}
	if credsFile != "" {
		check = append([]string{"AWS_SHARED_CREDENTIALS_FILE=" + shellQuote(credsFile)}, check...)
		check = append(check, "--diagnostic-profile", auditorProfile)
	}
	p("# check it: %s", strings.Join(check, " "))
}

// principalName renders "ACCOUNT/USER" for a person.
func principalName(acctUser string) string {
	acct, user, _ := strings.Cut(acctUser, "/")
	return fmt.Sprintf("user %s in account %s", sanitize(user), sanitize(acct))
}

// operationFlag is check's --operation value for an SDK operation name.
func operationFlag(op string) string {
	for flag, name := range operations {
		if name == op {
			return flag
		}
	}
	return ""
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// shellSafe matches words a POSIX shell reads as they are.
var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./:@%+=,-]+$`)

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
