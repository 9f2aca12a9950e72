// The local EVM node of the payment tests (`hardhat node`). No sources: nothing is compiled or downloaded here;
// the tests compile their token with the solc npm package.
module.exports = {
  paths: { sources: './no-sources', cache: '../../node_modules/.cache/hardhat-test-node', artifacts: '../../node_modules/.cache/hardhat-test-node/artifacts' },
  networks: { hardhat: { chainId: 31337, mining: { auto: true, interval: 0 } } },
};
