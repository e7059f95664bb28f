// Command chat shows the llmgateway.v1 Go stubs against a running gateway:
// unary Chat, StreamChat read to its final event, cancelling a stream, a
// deadline, the API key as metadata and google.rpc.Status details decoded.
//
//	LLMGW_ADDRESS=127.0.0.1:50051 LLMGW_API_KEY=... LLMGW_MODEL=chat-default go run ./examples/chat
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	llmgatewayv1 "github.com/llmgw/llmgw/clients/go/llmgateway/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func getenv(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

func request(model, text string) *llmgatewayv1.ChatRequest {
	return &llmgatewayv1.ChatRequest{
		Model: model,
		Messages: []*llmgatewayv1.Message{{
			Role:  llmgatewayv1.Role_ROLE_USER,
			Parts: []*llmgatewayv1.Part{{Kind: &llmgatewayv1.Part_Text{Text: text}}},
		}},
	}
}

// describe prints the gateway's error details: ErrorInfo reason, RetryInfo
// delay, BadRequest violations.
func describe(err error) {
	st := status.Convert(err)
	fmt.Printf("error: %s %q\n", st.Code(), st.Message())
	for _, detail := range st.Details() {
		switch d := detail.(type) {
		case *errdetails.ErrorInfo:
			fmt.Printf("  reason %s (domain %s) %v\n", d.Reason, d.Domain, d.Metadata)
		case *errdetails.RetryInfo:
			fmt.Printf("  retry after %s\n", d.RetryDelay.AsDuration())
		case *errdetails.BadRequest:
			for _, v := range d.FieldViolations {
				fmt.Printf("  bad field %s: %s\n", v.Field, v.Description)
			}
		case *errdetails.RequestInfo:
			fmt.Printf("  request id %s\n", d.RequestId)
		}
	}
}

func main() {
	address := getenv("LLMGW_ADDRESS", "127.0.0.1:50051")
	model := getenv("LLMGW_MODEL", "demo-chat")
	conn, err := grpc.Dial(address,
		grpc.WithInsecure(), // grpc.WithTransportCredentials(credentials.NewTLS(...)) in production
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	client := llmgatewayv1.NewGatewayServiceClient(conn)

	// The API key travels as metadata on every call.
	ctx := metadata.AppendToOutgoingContext(context.Background(),
		"authorization", "Bearer "+os.Getenv("LLMGW_API_KEY"))

	// Unary Chat with a deadline.
	callCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	reply, err := client.Chat(callCtx, request(model, "Say hello"))
	cancel()
	if err != nil {
		describe(err)
		os.Exit(1)
	}
	fmt.Println("chat:", reply.GetCandidates()[0].GetMessage().GetParts()[0].GetText())

	// StreamChat, read to its final event.
	callCtx, cancel = context.WithTimeout(ctx, 60*time.Second)
	stream, err := client.StreamChat(callCtx, &llmgatewayv1.StreamChatRequest{Chat: request(model, "Say hello")})
	if err != nil {
		log.Fatal(err)
	}
	for {
		event, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			describe(err)
			os.Exit(1)
		}
		switch e := event.Event.(type) {
		case *llmgatewayv1.StreamChatResponse_Delta:
			fmt.Print(e.Delta.GetText())
		case *llmgatewayv1.StreamChatResponse_Final:
			fmt.Printf("\nfinal: %d output tokens, cost %s %d.%09d\n",
				e.Final.GetUsage().GetOutputTokenCount(), e.Final.GetCost().GetTotal().GetCurrencyCode(),
				e.Final.GetCost().GetTotal().GetUnits(), e.Final.GetCost().GetTotal().GetNanos())
		}
	}
	cancel()

	// Cancelling a stream: cancel its context; the gateway stops the upstream.
	callCtx, cancel = context.WithCancel(ctx)
	stream, err = client.StreamChat(callCtx, &llmgatewayv1.StreamChatRequest{Chat: request(model, "Count to 1000")})
	if err == nil {
		_, err = stream.Recv() // the start event
		cancel()
		// Messages already buffered may still arrive; the first error is Canceled.
		for err == nil {
			_, err = stream.Recv()
		}
		fmt.Println("after cancel:", status.Code(err))
	}
	cancel()

	// A typo'd model: NOT_FOUND with ErrorInfo reason MODEL_NOT_FOUND.
	if _, err := client.Chat(ctx, request(model+"-typo", "hi")); err != nil {
		describe(err)
		if status.Code(err) != codes.NotFound {
			os.Exit(1)
		}
	}
}
