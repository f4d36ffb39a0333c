// CommonJS: require() of the ES module build (Node >= 20.19 and >= 22.12).
const { coordinate, open, CausewayError } = require('causewayjs');
const { Worker } = require('causewayjs/worker');

const journal = open('./journal-cjs');
journal.append(coordinate('order:1', 'shop'), { type: 'OrderPlaced', data: {} });
console.log('require', journal.readStream('order:1').length, typeof Worker, typeof CausewayError);
journal.close();
