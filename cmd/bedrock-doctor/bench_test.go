package main

import (
	"context"
	"testing"
)

// BenchmarkPlayScenario measures one demo world end to end on loopback: two
// fresh worlds, the plain call, the library's call and its diagnosis (or,
// when healthy, diagnose.Run).
func BenchmarkPlayScenario(b *testing.B) {
	all, err := builtinScenarios()
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"healthy", "trust-policy", "role-permissions", "model-id"} {
		s, ok := findScenario(all, name)
		if !ok {
			b.Fatalf("no scenario %s", name)
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if res := playScenario(context.Background(), s); !res.OK {
					b.Fatalf("%s: diagnosed %s, want %s", name, res.Layer, s.expect)
				}
			}
		})
	}
}
