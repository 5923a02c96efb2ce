package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
	"github.com/bedrockdoctor/bedrockdoctor/internal/awsfake"
)

// TestCheckModelKinds runs check on every world of
// internal/awsfake/testdata/modelkinds (provisioned, custom, deployed,
// copied and imported models, their KMS keys in the same account and across
// accounts, other accounts' models) against the local AWS, KMS included,
// with the world's read-only diagnostic user as --diagnostic-profile: the
// layer is the one the file states for Run.
func TestCheckModelKinds(t *testing.T) {
	files, err := filepath.Glob("../../internal/awsfake/testdata/modelkinds/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no worlds: %v", err)
	}
	flags := map[string]string{"InvokeModel": "invoke", "Converse": "converse"}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			t.Parallel()
			sc, err := awsfake.LoadScenario(os.DirFS(filepath.Dir(file)), filepath.Base(file))
			if err != nil {
				t.Fatal(err)
			}
			srv, env := fakeServer(t, sc, appKeys(t, sc))
			env = append(env, "AWS_ENDPOINT_URL_KMS="+srv.URL)
			args := []string{"check", "--json", "--role-arn", sc.Target.RoleARN, "--model", sc.Target.ModelID, "--operation", flags[sc.Target.Operation]}
			if u := sc.App.DiagnosticUser; u != "" {
				c, _ := sc.Credentials(u)
				creds := filepath.Join(t.TempDir(), "credentials")
				ini := "[auditor]\naws_access_key_id = " + c.AccessKeyID + "\naws_secret_access_key = " + c.SecretAccessKey + "\n"
				if err := os.WriteFile(creds, []byte(ini), 0o600); err != nil {
					t.Fatal(err)
				}
				env = append(env, "AWS_SHARED_CREDENTIALS_FILE="+creds)
				args = append(args, "--diagnostic-profile", "auditor")
			}
			r := runCLI(t, env, "", args...)
			rep := reportOf(t, r)
			want := diagnose.Layer(sc.Expect["run"])
			if rep.Layer != want {
				t.Errorf("layer = %q, want %q\n%s\n%s", rep.Layer, want, r.stdout, r.stderr)
			}
			code := exitDenied
			if want == diagnose.LayerNone {
				code = exitOK
			}
			if r.code != code {
				t.Errorf("exit code = %d, want %d; stderr: %s", r.code, code, r.stderr)
			}
		})
	}
}
