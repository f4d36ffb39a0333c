import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/sql/redact.js';

describe('redactUrl', () => {
  it.each([
    ['postgres://app:secret@db:5432/shop', 'postgres://app:***@db:5432/shop'],
    ['postgres://postgres:p@ss@127.0.0.1/test', 'postgres://postgres:***@127.0.0.1/test'],
    ['postgres://postgres:pa/ss@127.0.0.1/test', 'postgres://postgres:***@127.0.0.1/test'],
    ['redis://app:pa/ss@h/db', 'redis://app:***@h/db'],
    ['postgres://app@127.0.0.1:1/db?password=s3cret&x=1', 'postgres://app@127.0.0.1:1/db?password=***&x=1'],
    ['mysql://root@127.0.0.1/test', 'mysql://root@127.0.0.1/test'],
    ['sqlite:./shop.db', 'sqlite:./shop.db'],
    [
      'host=127.0.0.1 user=postgres password=SECRET dbname=x',
      'host=127.0.0.1 user=postgres password=*** dbname=x',
    ],
    ['postgres:qa2_user:SECRET@127.0.0.1/db', 'postgres:***@127.0.0.1/db'],
    ['postgres//u:SECRET@h/db', 'postgres//u:***@h/db'],
    ['user:SECRET@127.0.0.1/db', 'user:***@127.0.0.1/db'],
    [
      'postgres://u:p@h/db?sslpassword=SECRET2&sslmode=disable',
      'postgres://u:***@h/db?sslpassword=***&sslmode=disable',
    ],
  ])('masks the password of %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });
});
