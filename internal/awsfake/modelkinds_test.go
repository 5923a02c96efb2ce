package awsfake

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrock"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	brtypes "github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go"
)

// kindWorld is one account (222222222222) whose role invokes every model
// kind of modelkinds.go, and a second account (444444444444) that owns a
// key and a provisioned model of its own.
type kindWorld struct {
	srv                                 *Server
	role                                Credentials // the role's session keys
	pt, ptCustom, dep, custom, imported string
	foreignPT, keyARN, foreignKey       string
}

const kindBase = "amazon.titan-text-express-v1"

func newKindWorld(t *testing.T, keyPolicy, foreignKeyPolicy, roleInvoke string) *kindWorld {
	t.Helper()
	w := NewWorld()
	w.Model(FoundationModel{ID: kindBase, Provider: "Amazon", Regions: []string{"us-east-1"}, OnDemand: true})
	a := w.Account("222222222222")
	o := w.Account("444444444444")
	kw := &kindWorld{}
	kw.keyARN = a.KMSKey("us-east-1", "1111aaaa-1111-1111-1111-111111111111", keyPolicy)
	kw.foreignKey = o.KMSKey("us-east-1", "4444bbbb-4444-4444-4444-444444444444", foreignKeyPolicy)
	br := a.Bedrock("us-east-1")
	kw.custom = br.CustomModel(CustomModel{ID: "ft1", BaseModel: kindBase, KMSKey: kw.keyARN})
	copied := br.CustomModel(CustomModel{ID: "copy1", BaseModel: kindBase, KMSKey: kw.foreignKey, CopiedFrom: "arn:aws:bedrock:us-east-1:444444444444:custom-model/" + kindBase + "/orig"})
	kw.pt = br.ProvisionedModel(ProvisionedModel{ID: "pt1", Model: "arn:aws:bedrock:us-east-1::foundation-model/" + kindBase})
	kw.ptCustom = br.ProvisionedModel(ProvisionedModel{ID: "pt2", Model: kw.custom})
	kw.dep = br.Deployment(CustomModelDeployment{ID: "dep1", Model: copied})
	kw.imported = br.ImportedModel(ImportedModel{ID: "imp1", Architecture: "llama3", KMSKey: kw.keyARN})
	kw.foreignPT = o.Bedrock("us-east-1").ProvisionedModel(ProvisionedModel{ID: "theirs", Model: "arn:aws:bedrock:us-east-1::foundation-model/" + kindBase})
	role := a.Role("App", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}]}`).
		Inline("invoke", roleInvoke)
	kw.srv = NewServer(w)
	t.Cleanup(kw.srv.Close)
	w.mu.Lock()
	sess := &Session{Role: role, Name: "s"}
	c := &credential{Credentials: Credentials{AccessKeyID: "ASIA" + randomID(16), SecretAccessKey: randomSecret(), SessionToken: randomSecret()}, session: sess}
	w.keys[c.AccessKeyID] = c
	w.mu.Unlock()
	kw.role = c.Credentials
	return kw
}

const (
	rootKeyPolicy  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"kms:*","Resource":"*"}]}`
	adminKey       = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/KeyAdmin"},"Action":"kms:*","Resource":"*"}]}`
	roleEverything = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["bedrock:*","kms:*"],"Resource":"*"}]}`
)

func (kw *kindWorld) invoke(t *testing.T, op, model string) (LogEntry, error) {
	t.Helper()
	kw.srv.ResetLog()
	cfg := kw.srv.Config("us-east-1", kw.role)
	br := bedrockruntime.NewFromConfig(cfg)
	var err error
	switch op {
	case "InvokeModel":
		_, err = br.InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{ModelId: aws.String(model), ContentType: aws.String("application/json"), Body: []byte(`{"inputText":"hi"}`)})
	case "Converse":
		_, err = converse(cfg, model)
	}
	e, _ := kw.srv.AppCall()
	return e, err
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func TestModelKindsInvoke(t *testing.T) {
	crossKey := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:role/App"},"Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"*","Condition":{"StringLike":{"kms:ViaService":"bedrock.*.amazonaws.com"}}}]}`
	tests := []struct {
		name                        string
		keyPolicy, foreignKeyPolicy string
		roleInvoke                  string
		op, model                   string // model: a field of kindWorld by name
		wantErr                     string // a substring of the code and message, "" success
		truth                       []string
	}{
		{"provisioned model of a foundation model", adminKey, adminKey, roleEverything, "Converse", "pt", "", nil},
		{"provisioned custom model, key allows the account", rootKeyPolicy, adminKey, roleEverything, "InvokeModel", "ptCustom", "", nil},
		{"provisioned custom model, key policy refuses", adminKey, adminKey, roleEverything, "InvokeModel", "ptCustom",
			"AccessDeniedException: User: arn:aws:sts::222222222222:assumed-role/App/s is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:222222222222:key/1111aaaa-1111-1111-1111-111111111111 because no resource-based policy allows the kms:Decrypt action", []string{"key-policy"}},
		{"key allows the account, the role's policies do not", rootKeyPolicy, adminKey, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:*","Resource":"*"}]}`, "InvokeModel", "imported",
			"because no identity-based policy allows the kms:Decrypt action", []string{"key-policy"}},
		{"no invoke permission on the provisioned model", adminKey, adminKey, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"arn:aws:bedrock:*::foundation-model/*"}]}`, "Converse", "pt",
			"bedrock:InvokeModel on resource: arn:aws:bedrock:us-east-1:222222222222:provisioned-model/pt1 because no identity-based policy allows", []string{"role-permissions"}},
		{"deployment of a copy under another account's key that trusts the role", rootKeyPolicy, crossKey, roleEverything, "Converse", "dep", "", nil},
		{"deployment of a copy, the other account's key refuses", rootKeyPolicy, adminKey, roleEverything, "Converse", "dep",
			"kms:Decrypt on resource: arn:aws:kms:us-east-1:444444444444:key/4444bbbb-4444-4444-4444-444444444444 because no resource-based policy allows", []string{"key-policy"}},
		{"custom model by its own ARN", rootKeyPolicy, adminKey, roleEverything, "InvokeModel", "custom", "ValidationException: The provided model doesn't support on-demand throughput.", []string{"model-id"}},
		{"imported model through Converse", rootKeyPolicy, adminKey, roleEverything, "Converse", "imported", "ValidationException: This action doesn't support the model", []string{"model-id"}},
		{"imported model", rootKeyPolicy, adminKey, roleEverything, "InvokeModel", "imported", "", nil},
		{"another account's provisioned model", rootKeyPolicy, adminKey, roleEverything, "InvokeModel", "foreignPT",
			"provisioned-model/theirs because no resource-based policy allows the bedrock:InvokeModel action", []string{"model-id"}},
		{"an unknown provisioned model", rootKeyPolicy, adminKey, roleEverything, "InvokeModel", "unknownPT", "ValidationException: The provided model identifier is invalid.", []string{"model-id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			kw := newKindWorld(t, tt.keyPolicy, tt.foreignKeyPolicy, tt.roleInvoke)
			model := map[string]string{"pt": kw.pt, "ptCustom": kw.ptCustom, "dep": kw.dep, "custom": kw.custom, "imported": kw.imported,
				"foreignPT": kw.foreignPT, "unknownPT": "arn:aws:bedrock:us-east-1:222222222222:provisioned-model/nope"}[tt.model]
			e, err := kw.invoke(t, tt.op, model)
			got := code(err)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && !strings.Contains(got, tt.wantErr) {
				t.Errorf("error = %q, want %q", got, tt.wantErr)
			}
			if !slices.Equal(e.Truth, tt.truth) {
				t.Errorf("truth = %v, want %v", e.Truth, tt.truth)
			}
		})
	}
}

func TestModelKindsControlPlaneAndKMS(t *testing.T) {
	kw := newKindWorld(t, rootKeyPolicy, adminKey, roleEverything)
	ctx := context.Background()
	cfg := kw.srv.Config("us-east-1", kw.role)
	br := bedrock.NewFromConfig(cfg)
	pt, err := br.GetProvisionedModelThroughput(ctx, &bedrock.GetProvisionedModelThroughputInput{ProvisionedModelId: aws.String("pt2")})
	if err != nil || aws.ToString(pt.ModelArn) != kw.custom || aws.ToString(pt.ProvisionedModelArn) != kw.ptCustom {
		t.Fatalf("GetProvisionedModelThroughput = %+v, %v", pt, err)
	}
	cm, err := br.GetCustomModel(ctx, &bedrock.GetCustomModelInput{ModelIdentifier: aws.String(kw.custom)})
	if err != nil || aws.ToString(cm.ModelKmsKeyArn) != kw.keyARN {
		t.Fatalf("GetCustomModel = %+v, %v", cm, err)
	}
	dep, err := br.GetCustomModelDeployment(ctx, &bedrock.GetCustomModelDeploymentInput{CustomModelDeploymentIdentifier: aws.String(kw.dep)})
	if err != nil || !strings.Contains(aws.ToString(dep.ModelArn), "custom-model/"+kindBase+"/copy1") {
		t.Fatalf("GetCustomModelDeployment = %+v, %v", dep, err)
	}
	im, err := br.GetImportedModel(ctx, &bedrock.GetImportedModelInput{ModelIdentifier: aws.String("imp1")})
	if err != nil || aws.ToString(im.ModelKmsKeyArn) != kw.keyARN || aws.ToString(im.ModelArn) != kw.imported {
		t.Fatalf("GetImportedModel = %+v, %v", im, err)
	}
	if _, err := br.GetProvisionedModelThroughput(ctx, &bedrock.GetProvisionedModelThroughputInput{ProvisionedModelId: aws.String(kw.foreignPT)}); !strings.Contains(code(err), "AccessDeniedException") {
		t.Errorf("another account's provisioned model: %v", err)
	}

	k := kms.NewFromConfig(cfg)
	d, err := k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(kw.keyARN)})
	if err != nil || aws.ToString(d.KeyMetadata.Arn) != kw.keyARN || !d.KeyMetadata.Enabled {
		t.Fatalf("DescribeKey = %+v, %v", d, err)
	}
	p, err := k.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(kw.keyARN)})
	if err != nil || aws.ToString(p.Policy) != rootKeyPolicy {
		t.Fatalf("GetKeyPolicy = %+v, %v", p, err)
	}
	if _, err := k.ListGrants(ctx, &kms.ListGrantsInput{KeyId: aws.String(kw.keyARN)}); err != nil {
		t.Fatalf("ListGrants: %v", err)
	}
	// The other account's key refuses the role, and its policy is never
	// readable from here.
	if _, err := k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(kw.foreignKey)}); !strings.Contains(code(err), "AccessDeniedException: User: arn:aws:sts::222222222222:assumed-role/App/s is not authorized to perform: kms:DescribeKey on resource: "+kw.foreignKey+" because no resource-based policy allows the kms:DescribeKey action") {
		t.Errorf("DescribeKey of the other account's key: %v", err)
	}
	if _, err := k.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(kw.foreignKey)}); !strings.Contains(code(err), "AccessDeniedException") {
		t.Errorf("GetKeyPolicy across accounts: %v", err)
	}
	if _, err := k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("arn:aws:kms:us-east-1:222222222222:key/none")}); !strings.Contains(code(err), "NotFoundException") {
		t.Errorf("unknown key: %v", err)
	}
}

func TestModelKindsGrantAndGuardrailKey(t *testing.T) {
	w := NewWorld()
	w.Model(FoundationModel{ID: kindBase, Provider: "Amazon", Regions: []string{"us-east-1"}, OnDemand: true})
	a := w.Account("222222222222")
	key := a.KMSKey("us-east-1", "k1", adminKey, KeyGrant{Grantee: "arn:aws:iam::222222222222:role/App", Operations: []string{"Decrypt"}})
	guardKey := a.KMSKey("us-east-1", "k2", adminKey)
	br := a.Bedrock("us-east-1")
	imp := br.ImportedModel(ImportedModel{ID: "imp1", KMSKey: key})
	br.Guardrail("gr1", "g", "1")
	br.EncryptGuardrail("gr1", guardKey)
	role := a.Role("App", `{"Version":"2012-10-17","Statement":[]}`).Inline("p", roleEverything)
	srv := NewServer(w)
	defer srv.Close()
	w.mu.Lock()
	c := &credential{Credentials: Credentials{AccessKeyID: "ASIA" + randomID(16), SecretAccessKey: randomSecret(), SessionToken: randomSecret()}, session: &Session{Role: role, Name: "s"}}
	w.keys[c.AccessKeyID] = c
	w.mu.Unlock()
	rt := bedrockruntime.NewFromConfig(srv.Config("us-east-1", c.Credentials))
	if _, err := rt.InvokeModel(context.Background(), &bedrockruntime.InvokeModelInput{ModelId: aws.String(imp), Body: []byte(`{}`), ContentType: aws.String("application/json")}); err != nil {
		t.Errorf("a grant allows Decrypt: %v", err)
	}
	_, err := rt.ApplyGuardrail(context.Background(), &bedrockruntime.ApplyGuardrailInput{GuardrailIdentifier: aws.String("gr1"), GuardrailVersion: aws.String("1"), Source: "INPUT",
		Content: []brtypes.GuardrailContentBlock{&brtypes.GuardrailContentBlockMemberText{Value: brtypes.GuardrailTextBlock{Text: aws.String("hi")}}}})
	if !strings.Contains(code(err), "kms:Decrypt on resource: "+guardKey) {
		t.Errorf("the guardrail's key refuses: %v", err)
	}
	if e, _ := srv.AppCall(); !slices.Equal(e.Truth, []string{"key-policy"}) {
		t.Errorf("truth = %v", e.Truth)
	}
	g, err := bedrock.NewFromConfig(srv.Config("us-east-1", c.Credentials)).GetGuardrail(context.Background(), &bedrock.GetGuardrailInput{GuardrailIdentifier: aws.String("gr1")})
	if err != nil || aws.ToString(g.KmsKeyArn) != guardKey {
		t.Errorf("GetGuardrail = %v, %v", g, err)
	}
}
