// Command delete-view is the Lambda function of DELETE /views/{viewId}.
package main

import (
	"log"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/casescribe/sharing/pkg/awslambda"
)

func main() {
	h, err := awslambda.Route("deleteView")
	if err != nil {
		log.Fatalf("delete-view: %v", err)
	}
	lambda.Start(h)
}
