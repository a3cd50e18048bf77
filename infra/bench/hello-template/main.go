// Command hello-template is hello-sdk whose handler renders an html/template. It prices, in
// the size table, what linking text/template (on which html/template is built) costs a
// Lambda: its reflection keeps the linker from dropping unused exported methods.
package main

import (
	"context"
	"html/template"
	"log"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

func main() {
	page, err := template.New("page").Parse(`<p>Hello from {{.}}</p>`)
	if err != nil {
		log.Fatalf("hello-template: %v", err)
	}
	db := dynamodb.NewFromConfig(aws.Config{
		Region: os.Getenv("AWS_REGION"),
		Credentials: credentials.NewStaticCredentialsProvider(
			os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), os.Getenv("AWS_SESSION_TOKEN")),
	})
	lambda.Start(func(context.Context, map[string]any) (string, error) {
		var b strings.Builder
		err := page.Execute(&b, db.Options().Region)
		return b.String(), err
	})
}
