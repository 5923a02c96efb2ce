// Package callctx marks the contexts of the diagnosis' own AWS calls, so the
// diagnosis middleware never diagnoses itself.
package callctx

import "context"

type diagnosisKey struct{}

// WithDiagnosis returns ctx marked as belonging to a diagnosis.
func WithDiagnosis(ctx context.Context) context.Context {
	return context.WithValue(ctx, diagnosisKey{}, true)
}

// InDiagnosis reports whether ctx belongs to a diagnosis.
func InDiagnosis(ctx context.Context) bool {
	v, _ := ctx.Value(diagnosisKey{}).(bool)
	return v
}
