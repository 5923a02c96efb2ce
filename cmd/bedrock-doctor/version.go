package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

const versionExamples = `  bedrock-doctor version
`

// runVersion prints the module version and the VCS revision the binary was
// built from, as the Go toolchain recorded them (runtime/debug.BuildInfo):
// what a bug report needs.
func runVersion(e env, args []string) int {
	fs := newFlagSet(e, "version", "bedrock-doctor version\n\nPrints the module version and the VCS revision the binary was built from.", versionExamples)
	pos, err := parseFlags(e, fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) > 0 {
		return usageError(e, "version", "unexpected argument %q", pos[0])
	}
	info, _ := debug.ReadBuildInfo()
	fmt.Fprintln(e.stdout, versionLine(info))
	return exitOK
}

// versionLine renders the build info in one line:
//
//	bedrock-doctor v0.3.0 (github.com/bedrockdoctor/bedrockdoctor, revision 1a2b3c4d5e6f, 2026-12-05T14:00:00Z) go1.26.8 linux/amd64
//
// A binary built without module information (info nil) says so; a
// checkout with uncommitted changes is marked "modified".
func versionLine(info *debug.BuildInfo) string {
	if info == nil {
		return fmt.Sprintf("bedrock-doctor (no build information) %s %s/%s", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	}
	version := info.Main.Version
	if version == "" {
		version = "(devel)"
	}
	detail := info.Main.Path
	var revision, at string
	var modified bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if revision != "" {
		if len(revision) > 12 {
			revision = revision[:12]
		}
		detail += ", revision " + revision
		if at != "" {
			detail += ", " + at
		}
		if modified {
			detail += ", modified"
		}
	}
	goVersion := info.GoVersion
	if goVersion == "" {
		goVersion = runtime.Version()
	}
	return fmt.Sprintf("bedrock-doctor %s (%s) %s %s/%s", sanitize(version), sanitize(detail), goVersion, runtime.GOOS, runtime.GOARCH)
}
