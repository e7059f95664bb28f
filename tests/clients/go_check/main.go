// Command go_check runs the client scenarios of tests/clients against a live
// gateway with the generated Go stubs (clients/go) and prints PASS <scenario>
// for each one verified; any failure exits 1. Driven by test_go_client.py.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	llmgatewayv1 "github.com/llmgw/llmgw/clients/go/llmgateway/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

var failed bool

func check(scenario string, err error) {
	if err != nil {
		fmt.Printf("FAIL %s: %v\n", scenario, err)
		failed = true
		return
	}
	fmt.Printf("PASS %s\n", scenario)
}

func request(model string) *llmgatewayv1.ChatRequest {
	return &llmgatewayv1.ChatRequest{
		Model: model,
		Messages: []*llmgatewayv1.Message{{
			Role:  llmgatewayv1.Role_ROLE_USER,
			Parts: []*llmgatewayv1.Part{{Kind: &llmgatewayv1.Part_Text{Text: "hi"}}},
		}},
	}
}

func errorInfo(err error) (*errdetails.ErrorInfo, *errdetails.RetryInfo, *errdetails.BadRequest) {
	var info *errdetails.ErrorInfo
	var retry *errdetails.RetryInfo
	var bad *errdetails.BadRequest
	for _, detail := range status.Convert(err).Details() {
		switch d := detail.(type) {
		case *errdetails.ErrorInfo:
			info = d
		case *errdetails.RetryInfo:
			retry = d
		case *errdetails.BadRequest:
			bad = d
		}
	}
	return info, retry, bad
}

func expectReason(err error, code codes.Code, reason string) error {
	if status.Code(err) != code {
		return fmt.Errorf("want %s, got %v", code, err)
	}
	info, _, _ := errorInfo(err)
	if info == nil || info.Reason != reason {
		return fmt.Errorf("want ErrorInfo reason %s, got %v", reason, info)
	}
	return nil
}

func health(conn *grpc.ClientConn) error {
	client := healthpb.NewHealthClient(conn)
	for _, name := range []string{"", "liveness", "readiness", "llmgateway.v1.GatewayService"} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		reply, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: name})
		cancel()
		if err != nil {
			return err
		}
		if reply.Status != healthpb.HealthCheckResponse_SERVING {
			return fmt.Errorf("%q is %s", name, reply.Status)
		}
	}
	return nil
}

func chat(ctx context.Context, client llmgatewayv1.GatewayServiceClient, model, want string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	reply, err := client.Chat(ctx, request(model))
	if err != nil {
		return err
	}
	if got := reply.GetCandidates()[0].GetMessage().GetParts()[0].GetText(); got != want {
		return fmt.Errorf("text %q, want %q", got, want)
	}
	return nil
}

func stream(ctx context.Context, client llmgatewayv1.GatewayServiceClient, model, want string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	events, err := client.StreamChat(ctx, &llmgatewayv1.StreamChatRequest{Chat: request(model)})
	if err != nil {
		return err
	}
	var text strings.Builder
	var final *llmgatewayv1.StreamFinal
	for {
		event, err := events.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		text.WriteString(event.GetDelta().GetText())
		if event.GetFinal() != nil {
			final = event.GetFinal()
		}
	}
	if text.String() != want {
		return fmt.Errorf("text %q, want %q", text.String(), want)
	}
	if final == nil || final.GetUsage().GetOutputTokenCount() == 0 || final.GetCost().GetTotal() == nil {
		return fmt.Errorf("final event missing or without usage/cost: %v", final)
	}
	return nil
}

func cancelStream(ctx context.Context, client llmgatewayv1.GatewayServiceClient, model string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events, err := client.StreamChat(ctx, &llmgatewayv1.StreamChatRequest{Chat: request(model)})
	if err != nil {
		return err
	}
	for {
		event, err := events.Recv()
		if err != nil {
			return fmt.Errorf("before the first delta: %w", err)
		}
		if event.GetDelta() != nil {
			break
		}
	}
	cancel()
	for {
		_, err := events.Recv()
		if err == nil {
			continue
		}
		if status.Code(err) != codes.Canceled {
			return fmt.Errorf("want Canceled, got %v", err)
		}
		return nil
	}
}

func deadline(ctx context.Context, client llmgatewayv1.GatewayServiceClient, model string) error {
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	_, err := client.Chat(ctx, request(model))
	if status.Code(err) != codes.DeadlineExceeded {
		return fmt.Errorf("want DeadlineExceeded, got %v", err)
	}
	return nil
}

func badRequest(ctx context.Context, client llmgatewayv1.GatewayServiceClient, model string) error {
	_, err := client.Chat(ctx, &llmgatewayv1.ChatRequest{Model: model})
	if e := expectReason(err, codes.InvalidArgument, "INVALID_REQUEST"); e != nil {
		return e
	}
	_, _, bad := errorInfo(err)
	if bad == nil || len(bad.FieldViolations) == 0 || !strings.HasPrefix(bad.FieldViolations[0].Field, "messages") {
		return fmt.Errorf("want a BadRequest violation on messages, got %v", bad)
	}
	return nil
}

func retryInfo(ctx context.Context, client llmgatewayv1.GatewayServiceClient, model string) error {
	_, err := client.Chat(ctx, request(model))
	if e := expectReason(err, codes.ResourceExhausted, "UPSTREAM_RATE_LIMITED"); e != nil {
		return e
	}
	_, retry, _ := errorInfo(err)
	if retry == nil || retry.RetryDelay.AsDuration() <= 0 {
		return fmt.Errorf("want a RetryInfo delay, got %v", retry)
	}
	return nil
}

func main() {
	conn, err := grpc.Dial(os.Getenv("LLMGW_ADDRESS"), grpc.WithInsecure())
	if err != nil {
		fmt.Println("FAIL dial:", err)
		os.Exit(1)
	}
	defer conn.Close()
	client := llmgatewayv1.NewGatewayServiceClient(conn)
	anonymous := context.Background()
	ctx := metadata.AppendToOutgoingContext(anonymous, "authorization", "Bearer "+os.Getenv("LLMGW_API_KEY"))
	model, want := os.Getenv("LLMGW_MODEL"), os.Getenv("LLMGW_EXPECT_TEXT")

	check("health", health(conn))
	check("chat", chat(ctx, client, model, want))
	check("stream", stream(ctx, client, model, want))
	check("cancel", cancelStream(ctx, client, os.Getenv("LLMGW_SLOW_MODEL")))
	check("deadline", deadline(ctx, client, os.Getenv("LLMGW_SLEEPY_MODEL")))
	_, err = client.Chat(ctx, request(model+"-typo"))
	check("typo_model", expectReason(err, codes.NotFound, "MODEL_NOT_FOUND"))
	check("bad_request", badRequest(ctx, client, model))
	check("retry_info", retryInfo(ctx, client, os.Getenv("LLMGW_LIMITED_MODEL")))
	_, err = client.Chat(anonymous, request(model))
	check("unauthenticated", expectReason(err, codes.Unauthenticated, "API_KEY_INVALID"))
	if failed {
		os.Exit(1)
	}
}
