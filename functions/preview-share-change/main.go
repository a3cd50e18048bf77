// Command preview-share-change is the Lambda function of POST /shares/{shareId}/preview.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("previewShareChange")
	if err != nil {
		log.Fatalf("preview-share-change: %v", err)
	}
	lambda.Start(h)
}
