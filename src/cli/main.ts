#!/usr/bin/env node
console.log('tsvs');
