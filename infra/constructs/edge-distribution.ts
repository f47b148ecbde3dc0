/**
 * A CloudFront distribution in front of the HTTP API, carrying the edge stack's web ACL (per-caller rate limit).
 * Nothing is cached: every request (the webhook's POSTs, the Mini App page and its JSON calls) goes to the API with
 * all its headers but Host (Telegram's secret-token header among them) and its body, as if called directly.
 */
import { Stack, Validations } from "aws-cdk-lib";
import type { HttpApi } from "aws-cdk-lib/aws-apigatewayv2";
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  OriginSslPolicy,
  PriceClass,
  ViewerProtocolPolicy,
} from "aws-cdk-lib/aws-cloudfront";
import { HttpOrigin } from "aws-cdk-lib/aws-cloudfront-origins";
import { Construct } from "constructs";

export interface EdgeDistributionProps {
  readonly api: HttpApi;
  /** The edge stack's web ACL (us-east-1). */
  readonly webAclArn: string;
}

export class EdgeDistribution extends Construct {
  readonly distribution: Distribution;
  /** `https://<id>.cloudfront.net`, no trailing slash. */
  readonly baseUrl: string;

  constructor(scope: Construct, id: string, props: EdgeDistributionProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    this.distribution = new Distribution(this, "Distribution", {
      comment: "Session Keeper: per-caller rate limit in front of the webhook and Mini App API",
      webAclId: props.webAclArn,
      priceClass: PriceClass.PRICE_CLASS_100,
      defaultBehavior: {
        origin: new HttpOrigin(`${props.api.apiId}.execute-api.${region}.amazonaws.com`, {
          protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
          originSslProtocols: [OriginSslPolicy.TLS_V1_2],
        }),
        allowedMethods: AllowedMethods.ALLOW_ALL,
        cachePolicy: CachePolicy.CACHING_DISABLED,
        originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
      },
    });
    this.baseUrl = `https://${this.distribution.distributionDomainName}`;
    Validations.of(this.distribution).acknowledge(
      {
        id: "AwsSolutions-CFR1",
        reason:
          "Admins and Telegram's servers may be anywhere: a geographic restriction would lock out admins abroad. " +
          "Abuse is bounded per caller by the web ACL's rate rule instead.",
      },
      {
        id: "AwsSolutions-CFR3",
        reason:
          "Every request that passes the edge is logged by the API's access log (caller IP, route id, status, " +
          "latency); WAF's sampled requests and metrics cover the refused ones. A second log bucket adds nothing.",
      },
      {
        id: "AwsSolutions-CFR4",
        reason:
          "The distribution uses CloudFront's own certificate (no custom domain), for which CloudFront fixes the " +
          "viewer security policy; Telegram and its in-app browser connect with TLS 1.2 or newer anyway.",
      },
    );
  }
}
