module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  rules: {
    // Table tests assert through helpers named expect* (e.g. expectJudgement).
    'jest/expect-expect': [
      'warn',
      { assertFunctionNames: ['expect', 'expect*'] },
    ],
  },
});
