// Payments, commerce and crypto exchanges. Formats: Stripe's key prefixes (sk_/rk_ live and
// test, whsec_ webhook secrets; pk_ publishable keys are public by design and not reported),
// Square, Shopify (shpat_/shpca_/shppa_/shpss_ + 32 hex), and gitleaks' rules of the same names.
import type { SecretRule } from '../rule-types.ts';
import { assignedTo, END_DASH, token, tokenOrAssigned, UUID } from './syntax.ts';

export const PAYMENT_RULES: SecretRule[] = [
  {
    ...token('stripe-key', 'Stripe secret / restricted key (live or test), webhook signing secret', 'critical',
      '(?:sk|rk)_(?:live|test|prod)_[a-zA-Z0-9]{10,99}|whsec_[a-zA-Z0-9]{32,64}',
      { keywords: ['sk_live_', 'sk_test_', 'sk_prod_', 'rk_live_', 'rk_test_', 'rk_prod_', 'whsec_'] }),
    // the test keys printed in Stripe's own documentation
    allow: ['^sk_test_4eC39HqLyjWDarjtT1zdp7dc$', '^sk_test_BQokikJOvBiI2HlWgH4olfQ2$', '^sk_test_26PHem9AhJZvU623DfE1x4sd$'],
  },
  token('square-access-token', 'Square access token / OAuth secret', 'high', String.raw`(?:EAAA|sq0atp-)[\w-]{22,60}|sq0csp-[\w-]{43}`, { keywords: ['eaaa', 'sq0atp-', 'sq0csp-'], end: END_DASH }),
  token('shopify-token', 'Shopify access token / shared secret', 'critical', 'shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}', { keywords: ['shpat_', 'shpca_', 'shppa_', 'shpss_'] }),
  tokenOrAssigned('plaid-api-token', 'Plaid access token / client id / secret', 'high', `access-(?:sandbox|development|production)-${UUID}`,
    'plaid', '[A-Za-z0-9]{24}|[A-Za-z0-9]{30}', { keywords: ['access-sandbox-', 'access-development-', 'access-production-', 'plaid'], entropy: 3.5 }),
  assignedTo('gocardless-api-token', 'GoCardless API token', 'high', 'gocardless', 'live_[A-Za-z0-9_=-]{40}', { keywords: ['gocardless'] }),
  token('flutterwave-key', 'Flutterwave secret / public / encryption key', 'high',
    String.raw`FLW(?:SEC|PUB)K(?:_TEST)?-[a-hA-H0-9]{32}-X|FLWSECK_TEST-?[a-hA-H0-9]{12}`, { keywords: ['flwseck', 'flwpubk'], end: END_DASH, entropy: 2 }),
  assignedTo('coinbase-access-token', 'Coinbase access token', 'high', 'coinbase', '[A-Za-z0-9_-]{64}', { keywords: ['coinbase'], entropy: 3.5 }),
  assignedTo('kraken-access-token', 'Kraken API key', 'high', 'kraken', '[A-Za-z0-9/=_+-]{80,90}', { keywords: ['kraken'], entropy: 4 }),
  assignedTo('kucoin-api-key', 'KuCoin API key / secret', 'high', 'kucoin', `[a-f0-9]{24}|${UUID}`, { keywords: ['kucoin'], entropy: 3 }),
  assignedTo('bittrex-api-key', 'Bittrex API key / secret', 'high', 'bittrex', '[A-Za-z0-9]{32}', { keywords: ['bittrex'], entropy: 3.5 }),
  token('duffel-api-token', 'Duffel API token', 'high', 'duffel_(?:test|live)_[A-Za-z0-9_=-]{43}', { keywords: ['duffel_'], end: END_DASH }),
  token('shippo-api-token', 'Shippo API token', 'high', 'shippo_(?:live|test)_[a-fA-F0-9]{40}', { keywords: ['shippo_'] }),
  token('easypost-api-token', 'EasyPost API key (production or test)', 'high', 'EZ[AT]K[A-Za-z0-9]{54}', { keywords: ['ezak', 'eztk'] }),
  assignedTo('finicity-api-token', 'Finicity app key / client secret', 'high', 'finicity', '[a-f0-9]{32}|[A-Za-z0-9]{20}', { keywords: ['finicity'], entropy: 3 }),
  assignedTo('lob-api-key', 'Lob API key', 'high', 'lob', '(?:live|test)_(?:pub_[a-f0-9]{31}|[a-f0-9]{35})', { keywords: ['lob'] }),
  {
    id: 'freemius-secret-key', title: 'Freemius secret key', severity: 'high',
    keywords: ['secret_key'], paths: [String.raw`\.php$`],
    regex: String.raw`["']secret_key["'][ \t]{0,5}=>[ \t]{0,5}["'](?<secret>sk_[^\s"']{29})["']`,
    entropy: 3,
  },
  assignedTo('squarespace-access-token', 'Squarespace API key', 'high', 'squarespace', UUID, { keywords: ['squarespace'], entropy: 3 }),
  assignedTo('etsy-access-token', 'Etsy API key', 'high', 'etsy', '[A-Za-z0-9]{24}', { keywords: ['etsy'], entropy: 3.5 }),
  assignedTo('finnhub-access-token', 'Finnhub API token', 'high', 'finnhub', '[A-Za-z0-9]{20}', { keywords: ['finnhub'], entropy: 3.5 }),
];
