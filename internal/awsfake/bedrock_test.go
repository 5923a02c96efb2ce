package awsfake

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	bdtypes "github.com/aws/aws-sdk-go-v2/service/bedrock/types"
)

func TestControlPlane(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.tgt.UseCaseForm = `{"companyName":"Example"}`
	appProfile := f.tgt.Bedrock("us-east-1").ApplicationProfile("a1b2c3d4e5f6", "team-ml", haiku, "us-east-1", "us-west-2")
	c := bedrock.NewFromConfig(f.cfg(f.session(t)))

	fm, err := c.GetFoundationModel(ctx, &bedrock.GetFoundationModelInput{ModelIdentifier: aws.String("arn:aws:bedrock:us-east-1::foundation-model/" + sonnet)})
	if err != nil {
		t.Fatal(err)
	}
	d := fm.ModelDetails
	if *d.ModelId != sonnet || *d.ProviderName != "Anthropic" || len(d.InferenceTypesSupported) != 1 || d.InferenceTypesSupported[0] != "INFERENCE_PROFILE" || d.ModelLifecycle.Status != bdtypes.FoundationModelLifecycleStatusActive {
		t.Errorf("details %+v", d)
	}
	_, err = c.GetFoundationModel(ctx, &bedrock.GetFoundationModelInput{ModelIdentifier: aws.String("amazon.nova-lite-v1:9")})
	var nf *bdtypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("unknown model: %v", err)
	}

	list, err := c.ListFoundationModels(ctx, &bedrock.ListFoundationModelsInput{ByProvider: aws.String("anthropic")})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range list.ModelSummaries {
		ids = append(ids, *m.ModelId)
	}
	if !equal(ids, []string{haiku, sonnet}) {
		t.Errorf("models %v", ids)
	}

	f.tgt.Bedrock("us-east-1").Access(haiku, AccessUseCaseMissing)
	av, err := c.GetFoundationModelAvailability(ctx, &bedrock.GetFoundationModelAvailabilityInput{ModelId: aws.String(haiku)})
	if err != nil {
		t.Fatal(err)
	}
	if av.AuthorizationStatus != bdtypes.AuthorizationStatusNotAuthorized || av.AgreementAvailability.Status != bdtypes.AgreementStatusAvailable || av.RegionAvailability != bdtypes.RegionAvailabilityAvailable {
		t.Errorf("availability %+v %+v", av, av.AgreementAvailability)
	}
	av, err = c.GetFoundationModelAvailability(ctx, &bedrock.GetFoundationModelAvailabilityInput{ModelId: aws.String(nova)})
	if err != nil {
		t.Fatal(err)
	}
	if av.AuthorizationStatus != bdtypes.AuthorizationStatusAuthorized || av.EntitlementAvailability != bdtypes.EntitlementAvailabilityAvailable {
		t.Errorf("nova availability %+v", av)
	}

	uc, err := c.GetUseCaseForModelAccess(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(uc.FormData) != `{"companyName":"Example"}` {
		t.Errorf("form %q", uc.FormData)
	}

	ip, err := c.GetInferenceProfile(ctx, &bedrock.GetInferenceProfileInput{InferenceProfileIdentifier: aws.String(usSonnet)})
	if err != nil {
		t.Fatal(err)
	}
	if *ip.InferenceProfileArn != "arn:aws:bedrock:us-east-1:222222222222:inference-profile/"+usSonnet || len(ip.Models) != 3 || ip.Type != bdtypes.InferenceProfileTypeSystemDefined {
		t.Errorf("profile %+v", ip)
	}
	ap, err := c.GetInferenceProfile(ctx, &bedrock.GetInferenceProfileInput{InferenceProfileIdentifier: aws.String(appProfile)})
	if err != nil {
		t.Fatal(err)
	}
	if *ap.InferenceProfileId != "a1b2c3d4e5f6" || *ap.Models[1].ModelArn != "arn:aws:bedrock:us-west-2::foundation-model/"+haiku {
		t.Errorf("application profile %+v", ap)
	}

	p := bedrock.NewListInferenceProfilesPaginator(c, &bedrock.ListInferenceProfilesInput{MaxResults: aws.Int32(1)})
	var seen []string
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.InferenceProfileSummaries {
			seen = append(seen, *s.InferenceProfileId)
		}
	}
	if !equal(seen, []string{glSonnet, usSonnet, "a1b2c3d4e5f6"}) {
		t.Errorf("profiles %v", seen)
	}

	g, err := c.GetGuardrail(ctx, &bedrock.GetGuardrailInput{GuardrailIdentifier: aws.String("gr1abc")})
	if err != nil {
		t.Fatal(err)
	}
	if *g.GuardrailArn != "arn:aws:bedrock:us-east-1:222222222222:guardrail/gr1abc" || *g.Version != "1" {
		t.Errorf("guardrail %+v", g)
	}

	_, err = bedrock.NewFromConfig(f.cfg(f.appKey)).ListFoundationModels(ctx, nil)
	apiErr(t, err, "AccessDeniedException", "User: "+appARN+" is not authorized to perform: bedrock:ListFoundationModels on resource: * because no identity-based policy allows the bedrock:ListFoundationModels action", 403)
}
