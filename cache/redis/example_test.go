package redis_test

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/config"
	goredis "github.com/redis/go-redis/v9"

	"github.com/bedrockdoctor/bedrockdoctor/cache/redis"
	"github.com/bedrockdoctor/bedrockdoctor/client"
	"github.com/bedrockdoctor/bedrockdoctor/diagnose"
)

// The fleet shares one diagnosis per denial: one process diagnoses, the
// others wait for its report. ContextTimeoutEnabled lets go-redis free a
// connection as soon as the Diagnoser's short deadline passes.
func ExampleNew() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		return
	}
	rdb := goredis.NewClient(&goredis.Options{Addr: "cache.internal:6379", ContextTimeoutEnabled: true})
	defer rdb.Close()
	shared := redis.New(rdb)

	brc := client.NewFromConfig(cfg,
		client.WithRole("arn:aws:iam::222222222222:role/BedrockAccess"),
		client.WithDiagnosis(func(o *diagnose.Options) {
			o.Cache = shared
			o.Redact = true // no account id or ARN in the store either
		}))
	_ = brc
}
